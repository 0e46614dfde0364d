#!/usr/bin/env node
// Entry point of the `dsiem-backend` command: runs the compiled CLI (built by `npm ci` through `prepare`).
import { main } from '../dist/actors/cli.js';

process.exitCode = await main(process.argv.slice(2));
