/** ajv set up as the independent judge of schema validity (draft 2020-12, draft-07 for `items` arrays), with the formats rsk enforces. */
import { Ajv2020 } from "ajv/dist/2020.js";
import { Ajv } from "ajv";

const FORMATS: Record<string, RegExp> = {
  date: /^\d{4}-(0[1-9]|1[0-2])-(0[1-9]|[12]\d|3[01])$/,
  time: /^([01]\d|2[0-3]):[0-5]\d:([0-5]\d|60)(\.\d+)?([zZ]|[+-]([01]\d|2[0-3]):[0-5]\d)$/,
  "date-time": /^\d{4}-(0[1-9]|1[0-2])-(0[1-9]|[12]\d|3[01])[tT]([01]\d|2[0-3]):[0-5]\d:([0-5]\d|60)(\.\d+)?([zZ]|[+-]([01]\d|2[0-3]):[0-5]\d)$/,
  email: /^[^\s@"\\]+@[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?(\.[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?)+$/,
  uuid: /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i,
  uri: /^[a-z][a-z0-9+.-]*:[^\s"\\<>^`{|}]+$/i,
  ipv4: /^((25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)\.){3}(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)$/,
};

const modern = new Ajv2020({ strict: false, allErrors: false });
const draft7 = new Ajv({ strict: false, allErrors: false });
for (const [name, re] of Object.entries(FORMATS)) {
  modern.addFormat(name, re);
  draft7.addFormat(name, re);
}

/** Whether `value` is valid under `schema` according to ajv. */
export function ajvValid(schema: Record<string, unknown>, value: unknown): boolean {
  const draft = JSON.stringify(schema).includes('"additionalItems"') ? draft7 : modern;
  return draft.validate(schema, value) as boolean;
}
