#!/bin/sh
# gjj-hall .deb postrm. `apt remove` keeps IT's /etc/gjj/managed.toml (like a conffile); `apt purge` removes it.
# Users' own data (~/.local/share/gjj-hall: submissions database, logs; ~/.config/gjj-hall: settings) is never
# touched by the package: see installer/README.md to delete it.
set -e
if [ "$1" = "purge" ]; then
    rm -f /etc/gjj/managed.toml
    rmdir /etc/gjj 2>/dev/null || true
fi
exit 0
