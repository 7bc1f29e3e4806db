// Reads tables or views of kpis.duckdb through Evidence's DuckDB driver, as an Evidence source does.
//
//     node read_views.cjs PATH NAME...
//
// Prints one JSON object: per name the driver's column types (name, evidenceType, typeFidelity),
// the rows it streamed, the row count it expected and the engine's version; or the error.
const path = require('path');
const runQuery = require('@evidence-dev/duckdb');
const { batchedAsyncGeneratorToArray } = require('@evidence-dev/db-commons');

async function main(filename, names) {
	const database = { filename: path.basename(filename), directory: path.dirname(filename) };
	const report = { version: null, relations: {}, error: null };
	try {
		const version = await runQuery('select version() as version', database);
		report.version = (await batchedAsyncGeneratorToArray(version.rows))[0].version;
		for (const name of names) {
			const result = await runQuery(`select * from ${name}`, database);
			const rows = await batchedAsyncGeneratorToArray(result.rows);
			report.relations[name] = {
				columnTypes: result.columnTypes,
				expectedRowCount: result.expectedRowCount,
				rows: rows.length,
				firstRow: rows[0] ?? null
			};
		}
	} catch (error) {
		report.error = String(error && error.message ? error.message : error);
	}
	process.stdout.write(JSON.stringify(report) + '\n');
}

main(process.argv[2], process.argv.slice(3));
