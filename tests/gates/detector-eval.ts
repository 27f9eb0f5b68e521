/**
 * Quick evaluation of the person-name and street-address detectors: sentences from templates with names and
 * addresses drawn by @faker-js/faker in several locales (faker is only the test data here, never the lexicon), plus
 * benign capitalised text. Reports recall (a value counts as found when one finding covers all of it) per locale and
 * name precision. The project's labelled corpus and peer comparison are tests/gates/pii-eval.test.ts.
 *   bun tests/gates/detector-eval.ts [sentences per locale = 300]
 */
import { allFakers } from "@faker-js/faker";
import { compileGates } from "../../src/gates/mod.ts";

const gates = compileGates([{ id: "name", type: "pii", detector: "person_name", action: "redact" }]);
const addresses = compileGates([{ id: "address", type: "pii", detector: "street_address", action: "redact" }]);
const TEMPLATES = [
  "Please forward the invoice to {} by Friday.", "{} called about the delayed order.", "My name is {} and I need help.",
  "Dear {}, thank you for your message.", "The patient, {}, was admitted on Monday.", "I spoke with {} yesterday.",
  "Signed, {}", "Meeting notes: {} will present the budget.", "Hi {}, can you review this?", "Contact {} at the front desk.",
  "According to {}, the shipment left the warehouse.", "Mr. {} asked for a refund.", "{} and the team finished early.",
  "Our new hire {} starts in March.", "Thanks, {}", "Send it to {} in accounting.",
];
const BENIGN = [
  "The Quarterly Report shows growth in North America and Western Europe.", "We moved the Project Kickoff to Monday Morning.",
  "Open the Settings Menu and choose Advanced Options.", "The Golden Gate Bridge is in San Francisco.",
  "Apple Music and Google Drive were down for an hour.", "Read the Terms of Service before signing up.",
  "The United Nations met in Geneva last week.", "Our Customer Success Team answers within one day.",
  "Harvard Business Review published the Annual Survey.", "The Supreme Court ruled on Tuesday.",
  "Happy New Year from all of us.", "Download the Mobile App from the App Store.", "Visit Central Park or Times Square.",
  "Amazon Web Services launched a new Data Center.", "The Federal Reserve held rates steady.", "Grand Canyon National Park is busy.",
];
const locales = ["en", "en_GB", "en_US", "de", "fr", "es", "it", "pt_BR", "nl", "pl", "sv", "en_IN"];
const perLocale = Number(process.argv[2] ?? 300);
let tpAll = 0, fnAll = 0, fpAll = 0;
for (const locale of locales) {
  const faker = allFakers[locale as keyof typeof allFakers];
  faker.seed(42);
  let tp = 0, fn = 0, fp = 0;
  for (let k = 0; k < perLocale; k++) {
    const name = `${faker.person.firstName()} ${faker.person.lastName()}`;
    const text = TEMPLATES[k % TEMPLATES.length]!.replace("{}", name);
    const at = text.indexOf(name);
    const { findings } = gates.scan(text);
    const covered = findings.some((f) => f.start <= at && f.end >= at + name.length);
    covered ? tp++ : fn++;
    fp += findings.filter((f) => f.end <= at || f.start >= at + name.length).length;
  }
  tpAll += tp; fnAll += fn; fpAll += fp;
  console.log(`${locale.padEnd(6)} recall ${(tp / (tp + fn)).toFixed(3)}  false findings ${fp}`);
}
let benignFp = 0;
for (const text of BENIGN) {
  const { findings } = gates.scan(text);
  benignFp += findings.length;
  for (const f of findings) console.log(`  benign finding: ${JSON.stringify(f.match)} in ${JSON.stringify(text)}`);
}
const precision = tpAll / (tpAll + fpAll + benignFp);
console.log(`all    recall ${(tpAll / (tpAll + fnAll)).toFixed(3)}  precision ${precision.toFixed(3)} (${fpAll} stray + ${benignFp} benign findings)`);

const ADDRESS_TEMPLATES = ["Please ship it to {} before Friday.", "My address is {}.", "We moved to {} last year.", "Deliver to: {}", "The office at {} is closed."];
let found = 0, total = 0;
for (const locale of ["en_US", "en_GB", "de", "fr", "es", "it", "pt_BR", "nl", "pl", "sv"]) {
  const faker = allFakers[locale as keyof typeof allFakers];
  faker.seed(5);
  let hit = 0;
  for (let k = 0; k < perLocale; k++) {
    const address = faker.location.streetAddress(k % 2 === 0);
    const text = ADDRESS_TEMPLATES[k % ADDRESS_TEMPLATES.length]!.replace("{}", address);
    const at = text.indexOf(address);
    if (addresses.scan(text).findings.some((f) => f.start <= at && f.end >= at + address.length)) hit++;
  }
  found += hit; total += perLocale;
  console.log(`address ${locale.padEnd(6)} whole-value recall ${(hit / perLocale).toFixed(3)}`);
}
console.log(`address all    whole-value recall ${(found / total).toFixed(3)}`);
