'use strict';
// A small JSON-schema subset checker, enough for configurationAttributes:
// type (one or several), properties, required, items, enum, minimum.
// Values may be VS Code variables ("${workspaceFolder}"): they are strings.

function typeOf(v) {
  if (Array.isArray(v)) return 'array';
  if (v === null) return 'null';
  if (typeof v === 'number') return Number.isInteger(v) ? 'integer' : 'number';
  return typeof v;
}

function validate(schema, value, where = '$') {
  const errors = [];
  if (schema.type) {
    const types = Array.isArray(schema.type) ? schema.type : [schema.type];
    const t = typeOf(value);
    const ok = types.some((want) => want === t || (want === 'number' && t === 'integer'));
    if (!ok) {
      errors.push(`${where}: expected ${types.join('|')}, got ${t}`);
      return errors;
    }
  }
  if (schema.enum && !schema.enum.some((e) => JSON.stringify(e) === JSON.stringify(value))) {
    errors.push(`${where}: ${JSON.stringify(value)} is not one of ${JSON.stringify(schema.enum)}`);
  }
  if (typeof schema.minimum === 'number' && typeof value === 'number' && value < schema.minimum) {
    errors.push(`${where}: ${value} < minimum ${schema.minimum}`);
  }
  if (typeOf(value) === 'object') {
    for (const req of schema.required || []) {
      if (!(req in value)) errors.push(`${where}: missing required "${req}"`);
    }
    for (const [k, v] of Object.entries(value)) {
      const sub = schema.properties && schema.properties[k];
      if (sub) errors.push(...validate(sub, v, `${where}.${k}`));
      else if (schema.additionalProperties === false) errors.push(`${where}: unexpected "${k}"`);
    }
  }
  if (typeOf(value) === 'array' && schema.items) {
    value.forEach((item, i) => errors.push(...validate(schema.items, item, `${where}[${i}]`)));
  }
  return errors;
}

module.exports = { validate, typeOf };
