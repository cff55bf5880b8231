"""The command line's commands, a module each (`build` is `pdf`, `epub` and `build`):
each adds its parser to `hkcq-press` (`add`) and runs over the Python API
(`hkcq_press.build`, `verify`, `preview`…), printing what the desk needs to read.
What they share: the options (`options.py`) and how problems and progress are
printed (`report.py`). `hkcq_press/cli.py` puts them together and turns errors into
exit statuses.
"""
