#!/bin/sh
# gjj-hall .deb postinst: put the centre's default managed configuration in place for IT.
# The package ships it as /usr/share/gjj-hall/managed.toml; /etc/gjj/managed.toml is IT's file from then on:
# it is copied only when absent, so an upgrade never overwrites what IT changed (like a dpkg conffile).
# The centre's CA bundle is a package file (/etc/gjj/ca-bundle.pem): an upgrade brings the centre's latest.
set -e
if [ "$1" = "configure" ]; then
    if [ -f /usr/share/gjj-hall/managed.toml ] && [ ! -e /etc/gjj/managed.toml ]; then
        mkdir -p /etc/gjj
        cp /usr/share/gjj-hall/managed.toml /etc/gjj/managed.toml
        chmod 0644 /etc/gjj/managed.toml
    fi
fi
exit 0
