"""The SQL evidence engine: the stream's rules compiled to SQL over the Athena CloudTrail table.

:mod:`~auditor.logs.sql.compiler` turns the rules the streaming reader
evaluates into sqlglot ASTs; :mod:`~auditor.logs.sql.queries` builds the
statements (Trino for Athena, transpiled for DuckDB);
:mod:`~auditor.logs.sql.duckdb_engine` runs them over a local folder;
:mod:`~auditor.logs.sql.ddl` prints the table; :mod:`~auditor.logs.sql.explain`
renders what Athena would run.
"""
