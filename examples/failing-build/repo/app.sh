#!/bin/sh
[ "$1" = "--self-check" ] && exit 0
echo app
