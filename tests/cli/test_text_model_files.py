"""Files that are not torch files at all (issue 14): a notes file, a line of text, bytes
that fool torch's legacy reader. One line naming what is wrong, exit 2; the Open-model
dialog gets the same line (a VgtuiError, shown inline), never "KeyError: 101"."""
import pytest

from vgtui.engine.errors import VgtuiError
from vgtui.widgets.model_dialog import read_model

CASES = [
    ("notes.txt", b"hello notes\nsecond line\n", "holds the text 'hello notes second line'"),
    ("weights.pt", b"trained weights v2", "holds the text 'trained weights v2'"),
    ("blank.pt", b"   \n\n", "blank text"),
    ("binary.pt", b"\x00\x01\x02 not torch", "other binary data"),
    ("legacy.pt", b"\x80garbage after a pickle mark", "damaged or was not written by torch.save"),
    ("zip.pt", b"PK\x03\x04 not really a zip", "could not be read"),
]


@pytest.mark.parametrize("name,content,words", CASES)
def test_flow_refuses_a_file_that_is_not_a_torch_file(run_cli, tmp_path, name, content, words):
    path = tmp_path / name
    path.write_bytes(content)
    code, out, err = run_cli("flow", "--model", str(path))
    assert code == 2 and out == ""
    assert err.count("\n") == 1 and words in err and "could not be read" in err
    assert "KeyError" not in err and "IndexError" not in err and "internal error" not in err


@pytest.mark.parametrize("name,content,words", CASES)
def test_the_open_model_dialog_gets_the_same_line(tmp_path, name, content, words):
    path = tmp_path / name
    path.write_bytes(content)
    with pytest.raises(VgtuiError) as caught:
        read_model(str(path), "", None)
    assert words in str(caught.value) and "\n" not in str(caught.value)
