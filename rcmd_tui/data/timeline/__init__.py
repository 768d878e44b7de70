"""One person's timeline across RCMD and OrderSync: audit rows, sessions, login attempts, jobs and orders."""
