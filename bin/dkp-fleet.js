#!/usr/bin/env node
// The committed bundle does the work; this file only makes it an npm bin.
import '../dist/cli.js'
