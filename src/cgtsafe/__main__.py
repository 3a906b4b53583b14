from cgtsafe.cli import main

raise SystemExit(main())
