"""Files only their owner may read: what the console saves (exports, screenshots) can hold personal data."""

from __future__ import annotations

import os
import stat
from pathlib import Path

# A new file: exclusive (an existing name fails, a symlink included) and never through a symlink.
_NEW_FILE = os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW


def create_private(path: Path) -> int:
    """A new file only its owner may read, open for writing: mode 0600 from its creation (a chmod afterwards
    leaves a window), and an existing file or symlink at ``path`` fails with FileExistsError."""
    return os.open(path, _NEW_FILE, 0o600)


def private_dir(directory: Path, tighten: bool = False) -> None:
    """Creates ``directory`` 0700. ``tighten``: the console's own data directory, found looser (made by hand,
    or by an older version), is made 0700 again rather than used as it is; never someone else's, nor
    through a symlink."""
    directory.mkdir(mode=0o700, parents=True, exist_ok=True)
    if tighten:
        st = directory.lstat()
        if stat.S_ISDIR(st.st_mode) and st.st_uid == os.getuid() and st.st_mode & 0o077:
            directory.chmod(0o700)
