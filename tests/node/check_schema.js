// Compile a JSON Schema with ajv in strict mode, then validate YAML-derived JSON documents against it.
// Usage: node check_schema.js SCHEMA.json [DOCUMENT.json...]; prints one JSON report on stdout.
"use strict";
const fs = require("fs");
const Ajv2020 = require("ajv/dist/2020");

const ajv = new Ajv2020({ strict: true, allErrors: true });
const report = { compiled: false, error: null, documents: [] };
try {
  const validate = ajv.compile(JSON.parse(fs.readFileSync(process.argv[2], "utf8")));
  report.compiled = true;
  for (const file of process.argv.slice(3)) {
    const valid = validate(JSON.parse(fs.readFileSync(file, "utf8")));
    report.documents.push({ file, valid, errors: (validate.errors || []).map((e) => `${e.instancePath} ${e.message}`) });
  }
} catch (err) {
  report.error = String(err.message || err);
}
process.stdout.write(JSON.stringify(report) + "\n");
