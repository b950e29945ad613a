"""The command line: the click group (:mod:`.main`) and one module per family of commands."""
