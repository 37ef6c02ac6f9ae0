from mpg_lsp.cli import main

raise SystemExit(main())
