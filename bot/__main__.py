"""`python -m bot`: Vigie's command line."""

from bot.cli import main

raise SystemExit(main())
