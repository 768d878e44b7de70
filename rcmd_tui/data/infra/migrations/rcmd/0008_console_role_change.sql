-- Not in the seed: the console's admin tier may change a user's role (issue 13), and nothing else of the row.
GRANT UPDATE (role) ON users TO rcmd_tui_admin;
