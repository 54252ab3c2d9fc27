-- SPDX-License-Identifier: MIT
-- Read by sqlite3 through its -init option (tests/programs/run.sh).
.headers on
.mode list
.separator |
.nullvalue NULL
PRAGMA temp_store = MEMORY;
