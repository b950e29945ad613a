"""Stage progress (tqdm) goes to a terminal's stderr only, and --quiet silences it."""
import io

from planner.output.progress import Stages


class Terminal(io.StringIO):
    def isatty(self):
        return True


def test_stages_show_on_a_terminal():
    stream = Terminal()
    with Stages(2, stream=stream) as stage:
        with stage("loading scenario"):
            pass
        with stage("solver"):
            pass
    text = stream.getvalue()
    assert "loading scenario [0/2]" in text and "solver [1/2]" in text


def test_quiet_and_non_terminals_show_nothing():
    for stream, quiet in ((Terminal(), True), (io.StringIO(), False)):
        with Stages(1, quiet=quiet, stream=stream) as stage:
            with stage("loading"):
                pass
        assert stream.getvalue() == ""
