#!/bin/sh
# `hubscope` from the desktop package (resources/bin/hubscope): runs the CLI with the
# app's own Electron binary as plain Node (ELECTRON_RUN_AS_NODE), so the .deb needs
# no separate Node. The .deb links /usr/bin/hubscope here (deploy/deb-after-install.sh).
here=$(dirname "$(readlink -f "$0")")
ELECTRON_RUN_AS_NODE=1 exec "$here/../../hubscope-desktop" "$here/../app.asar/bin/hubscope.js" "$@"
