"""The one listener-id check the music library and the store share."""

import pytest

from appliance.music.library import Library, LibraryError
from appliance.store.db import Store
from appliance.vocabulary import check_listener_id

BAD_IDS = ("bob\n", "bob\r\n", "\nbob", "", "../x", ".hidden", "a/b", "x" * 65, "Zoë")


@pytest.mark.parametrize("bad", BAD_IDS)
def test_a_bad_listener_id_is_refused_alike_by_the_music_and_the_store(tmp_path, bad):
    with pytest.raises(ValueError, match="pseudonymous") as by_vocabulary:
        check_listener_id(bad)
    with pytest.raises(LibraryError) as by_music:
        Library(tmp_path / "music").tracks(bad)
    assert str(by_music.value) == str(by_vocabulary.value)
    store = Store(tmp_path / "attune.db")
    try:
        with pytest.raises(ValueError, match="pseudonymous"):
            store.upsert_listener(bad)
    finally:
        store.close()
    assert not (tmp_path / "music").exists()


@pytest.mark.parametrize("good", ("L-0042", "ann", "a.b_c-9", "x" * 64))
def test_a_good_listener_id_passes_both(tmp_path, good):
    assert check_listener_id(good) == good
    assert Library(tmp_path / "music").tracks(good) == []
