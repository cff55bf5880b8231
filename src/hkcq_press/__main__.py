from hkcq_press.cli import main

raise SystemExit(main())
