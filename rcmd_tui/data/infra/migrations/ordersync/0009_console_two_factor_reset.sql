-- Not in the seed: the console's admin tier may reset a user's two-factor set-up (issue 13).
GRANT UPDATE (two_factor_enabled, two_factor_secret_encrypted, two_factor_secret_key_id) ON users TO rcmd_tui_admin;
