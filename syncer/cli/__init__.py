"""The ``pmsync`` command line: options in :mod:`.main`, the commands behind them in :mod:`.commands`."""
