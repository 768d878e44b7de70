from rcmd_tui.cli import main

raise SystemExit(main())
