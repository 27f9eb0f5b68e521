/**
 * Benign look-alikes: sentences with no PII whose tokens look like PII to a careless detector (version strings,
 * ISBNs, epoch milliseconds, tracking numbers, order ids, hashes, UUIDs, dates that are not birthdays, capitalised
 * words that are not names, street-like phrases that are not addresses…). Each generated sentence is one document.
 */
import { isbn13Digit, luhnDigit } from "./checksums.ts";
import { REAL_CITIES } from "./personal.ts";
import { ALNUM, type Draw, DIGITS, HEX, UPPER } from "./random.ts";

/** One benign sentence generator. */
interface BenignShape {
  /** Name (the document's source is `benign:<name>`). */
  name: string;
  /** A fresh sentence. */
  make: (d: Draw) => string;
}

const n = (d: Draw, lo: number, hi: number): number => d.int(lo, hi);
const version4 = (d: Draw): string => `${n(d, 1, 20)}.${n(d, 0, 30)}.${n(d, 0, 255)}.${n(d, 0, 9999)}`;
const isbn = (d: Draw): string => {
  const head = d.pick(["978", "979"]) + d.digits(9);
  return head + isbn13Digit(head);
};
/** A Luhn-valid digit string of a length no card network issues with that prefix (the trap the issue measured). */
const luhnNumber = (d: Draw, length: number): string => {
  const payload = d.pick(["1", "7", "8", "9"]) + d.digits(length - 2);
  return payload + luhnDigit(payload);
};
const WORD_NAMES = ["Will", "Mark", "Bill", "Grace", "Faith", "Hope", "June", "May", "Rose", "Iris", "Amber", "Summer", "Jack", "Pat", "Sue", "Art", "Carol", "Frank", "Joy", "Max", "Victor", "Sandy", "Dawn", "Cliff", "Chase"];
/** Title-case phrases that name documents and meetings, not people. */
const TITLES = [
  "Annual General Meeting Minutes", "Terms Of Service", "Frequently Asked Questions", "Quarterly Business Review",
  "Getting Started Guide", "Release Candidate Notes", "Customer Success Playbook", "Privacy Impact Assessment",
  "Data Retention Policy", "Incident Response Runbook", "Brand Style Guide", "Onboarding Checklist",
];
const STREETS = ["Wall Street", "Main Street", "Easy Street", "Sesame Street", "Fleet Street", "Abbey Road", "Baker Street", "Electric Avenue", "Penny Lane", "Route 66", "Park Avenue", "Downing Street", "Broadway", "Silicon Valley"];

/** Every benign shape, drawn round-robin. */
export const BENIGN_SHAPES: readonly BenignShape[] = [
  { name: "version4", make: (d) => `Upgraded the driver to version ${version4(d)} last night and the crash is gone.` },
  { name: "version4-build", make: (d) => `Windows build ${version4(d)} ships with the fix.` },
  { name: "semver", make: (d) => `Bump lodash from ${n(d, 1, 4)}.${n(d, 0, 17)}.${n(d, 0, 21)} to ${n(d, 1, 4)}.${n(d, 0, 17)}.${n(d, 0, 21)}-rc.${n(d, 1, 9)}.` },
  { name: "oid", make: (d) => `The SNMP OID is 1.3.6.1.4.1.${n(d, 1, 60000)}.${n(d, 1, 99)}.${n(d, 1, 9)}.` },
  { name: "isbn13", make: (d) => `ISBN ${isbn(d)} is out of stock, try the paperback.` },
  { name: "isbn13-dashed", make: (d) => { const s = isbn(d); return `Cite it as ISBN ${s.slice(0, 3)}-${s[3]}-${s.slice(4, 7)}-${s.slice(7, 12)}-${s[12]}.`; } },
  { name: "epoch-ms", make: (d) => `created_at=${n(d, 1_500_000, 1_800_000)}${d.digits(6)} updated_at=${n(d, 1_500_000, 1_800_000)}${d.digits(6)}` },
  { name: "epoch-s", make: (d) => `The token expires at ${n(d, 1_600_000_000, 1_900_000_000)} (unix seconds).` },
  { name: "luhn-number", make: (d) => `Reference number ${luhnNumber(d, d.pick([13, 15, 16, 18]))} was assigned to the shipment.` },
  { name: "ups", make: (d) => `Your parcel 1Z${d.chars(UPPER + DIGITS, 6)}${d.digits(10)} is out for delivery.` },
  { name: "usps", make: (d) => `USPS tracking: 9400 ${d.digits(4)} ${d.digits(4)} ${d.digits(4)} ${d.digits(4)} ${d.digits(2)}` },
  { name: "fedex", make: (d) => `FedEx says ${d.digits(12)} will arrive Thursday.` },
  { name: "amazon-order", make: (d) => `Order ${n(d, 100, 999)}-${d.digits(7)}-${d.digits(7)} has shipped.` },
  { name: "order-id", make: (d) => `Order #${d.chars(UPPER, 2)}-${n(d, 2019, 2025)}-${d.digits(6)} was refunded.` },
  { name: "invoice", make: (d) => `Invoice INV-${d.digits(8)} is due in ${n(d, 7, 60)} days.` },
  { name: "sha256", make: (d) => `sha256: ${d.chars(HEX, 64)}` },
  { name: "sha1", make: (d) => `Fixed in commit ${d.chars(HEX, 40)}, see the changelog.` },
  { name: "git-short", make: (d) => `Reverted ${d.chars(HEX, 7)} and ${d.chars(HEX, 7)} because the build broke.` },
  { name: "md5", make: (d) => `The file's md5 is ${d.chars(HEX, 32)}.` },
  { name: "uuid", make: (d) => `Request ${d.faker.string.uuid()} failed with status ${d.pick([400, 404, 409, 500, 503])}.` },
  { name: "uuid-upper", make: (d) => `ProductCode {${d.faker.string.uuid().toUpperCase()}}` },
  { name: "base64-blob", make: (d) => `The thumbnail is inlined as data:image/png;base64,${d.chars(ALNUM, 40)}==` },
  { name: "meeting-date", make: (d) => `The meeting moved to ${n(d, 1, 12)}/${n(d, 1, 28)}/${n(d, 2023, 2026)} at ${n(d, 8, 17)}:${d.pick(["00", "30"])}.` },
  { name: "release-date", make: (d) => `Version ${n(d, 2, 9)} was released on ${d.faker.date.past({ years: 5 }).toISOString().slice(0, 10)}.` },
  { name: "invoice-date", make: (d) => `Rechnung vom ${String(n(d, 1, 28)).padStart(2, "0")}.${String(n(d, 1, 12)).padStart(2, "0")}.${n(d, 2020, 2025)} ist bezahlt.` },
  { name: "deadline", make: (d) => `Submissions close on ${d.pick(["March", "April", "June", "October"])} ${n(d, 1, 28)}, ${n(d, 2024, 2027)}.` },
  { name: "history-year", make: (d) => `The treaty was signed in ${n(d, 1648, 1990)} after ${n(d, 2, 30)} years of war.` },
  { name: "word-names", make: (d) => `${d.pick(WORD_NAMES)} you check whether the ${d.faker.commerce.productName()} is in stock?` },
  { name: "capitalised", make: (d) => `The ${d.faker.company.buzzAdjective().replace(/^./, (c) => c.toUpperCase())} ${d.faker.commerce.productAdjective()} ${d.faker.commerce.product()} Award goes to the ${d.faker.commerce.department()} Team.` },
  { name: "title-case", make: (d) => `Read the "${d.pick(TITLES)}" before the ${d.pick(["Monday", "Friday", "Tuesday"])} review.` },
  { name: "product", make: (d) => `The ${d.faker.commerce.productName()} costs $${n(d, 5, 999)}.${d.digits(2)} this week.` },
  { name: "street-phrase", make: (d) => `${d.pick(STREETS)} ${d.pick(["rallied", "was quiet", "reacted badly", "is a metaphor here"])} after the ${d.pick(["rate cut", "earnings call", "announcement"])}.` },
  { name: "street-song", make: (d) => `We listened to "${d.pick(STREETS)}" ${n(d, 2, 9)} times on the drive.` },
  { name: "room-number", make: (d) => `The workshop is in Room ${n(d, 100, 999)}, Building ${d.chars(UPPER, 1)}, floor ${n(d, 1, 12)}.` },
  { name: "port", make: (d) => `The dev server listens on localhost:${n(d, 1024, 65535)} and the proxy on :${n(d, 1024, 65535)}.` },
  { name: "http-status", make: (d) => `Got HTTP ${d.pick([200, 301, 404, 429, 502])} after ${n(d, 10, 5000)} ms on ${n(d, 2, 99)} retries.` },
  { name: "time", make: (d) => `The job ran from ${n(d, 10, 23)}:${n(d, 10, 59)}:${n(d, 10, 59)} to ${n(d, 10, 23)}:${n(d, 10, 59)}:${n(d, 10, 59)}.` },
  { name: "coordinates", make: (d) => `Coordinates ${d.faker.location.latitude()}, ${d.faker.location.longitude()} mark the trailhead.` },
  { name: "price", make: (d) => `Revenue was $${n(d, 1, 999)},${d.digits(3)},${d.digits(3)} in Q${n(d, 1, 4)}, up ${n(d, 1, 40)}.${n(d, 0, 9)}%.` },
  { name: "quantity", make: (d) => `We shipped ${n(d, 1000, 99999)} units to ${n(d, 10, 400)} stores in ${n(d, 2, 30)} countries.` },
  { name: "score", make: (d) => `They won ${n(d, 0, 7)}-${n(d, 0, 7)} after extra time, with ${n(d, 20000, 80000)} fans watching.` },
  { name: "ratio", make: (d) => `Export at 16:9, ${n(d, 24, 60)} fps, bitrate ${n(d, 2, 50)} Mbps.` },
  { name: "hex-color", make: (d) => `Use #${d.chars(HEX, 6)} for the header and #${d.chars(HEX, 6)} for links.` },
  { name: "duration", make: (d) => `Cooking takes ${n(d, 10, 90)} minutes at ${n(d, 150, 250)} degrees for ${n(d, 2, 12)} servings.` },
  { name: "model-number", make: (d) => `Model ${d.chars(UPPER, 2)}-${d.digits(4)}-${d.digits(3)} replaces the ${d.chars(UPPER, 3)}${d.digits(3)}.` },
  { name: "serial", make: (d) => `Serial no. ${d.chars(UPPER, 3)}${d.digits(9)} is under warranty until ${n(d, 2025, 2030)}.` },
  { name: "flight", make: (d) => `Flight ${d.pick(["LH", "BA", "AF", "UA", "DL"])} ${n(d, 10, 9999)} departs from gate ${d.chars(UPPER, 1)}${n(d, 1, 60)}.` },
  { name: "ages-not", make: (d) => `The warranty lasts ${n(d, 2, 10)} years and the battery ${n(d, 18, 60)} months.` },
  { name: "math", make: (d) => `If x = ${n(d, 2, 99)} and y = ${n(d, 2, 99)}, then x * y = ${n(d, 100, 9999)}, roughly.` },
  { name: "phone-like-code", make: (d) => `Part ${d.digits(3)}-${d.digits(3)}-${d.digits(2)} fits the older chassis.` },
  { name: "ip-like-version", make: (d) => `Release notes for v${version4(d)}: faster startup.` },
  { name: "mac-like-time", make: (d) => `Split times: ${n(d, 10, 59)}:${n(d, 10, 59)}:${n(d, 10, 59)}:${n(d, 10, 99)}.` },
  { name: "aws-like", make: (d) => `The CloudFormation stack arn:aws:cloudformation:us-east-1:${d.digits(12)}:stack/${d.faker.lorem.word()} was deleted.` },
  { name: "hashtag", make: (d) => `Trending: #${d.faker.lorem.word()}${n(d, 2020, 2026)} and @${d.faker.lorem.word()}_official.` },
  { name: "lorem", make: (d) => d.faker.lorem.sentence({ min: 6, max: 14 }) },
  { name: "hacker", make: (d) => d.faker.hacker.phrase() },
  { name: "city-only", make: (d) => `The conference returns to ${d.pick(REAL_CITIES)} in ${d.pick(["spring", "autumn", "May"])}.` },
  { name: "company", make: (d) => `${d.faker.company.name()} announced a partnership with ${d.faker.company.name()}.` },
  // Other languages: German capitalises every noun; dates, order numbers and amounts as each language writes them.
  { name: "de-nouns", make: (d) => `Die ${d.pick(["Besprechung", "Lieferung", "Rechnung", "Wartung"])} mit dem ${d.pick(["Vertrieb", "Kundendienst", "Einkauf", "Lager"])} wurde auf ${d.pick(["Montag", "Dienstag", "Freitag"])} verschoben, Bestellnummer ${d.digits(8)}.` },
  { name: "de-amount", make: (d) => `Der Betrag von ${n(d, 10, 9999)},${d.digits(2)} EUR wurde am ${String(n(d, 1, 28)).padStart(2, "0")}.${String(n(d, 1, 12)).padStart(2, "0")}.${n(d, 2023, 2025)} gutgeschrieben.` },
  { name: "fr-order", make: (d) => `Votre commande n° ${d.digits(9)} sera livrée le ${n(d, 1, 28)} ${d.pick(["mars", "avril", "juin", "octobre"])} entre ${n(d, 8, 12)}h et ${n(d, 13, 18)}h.` },
  { name: "es-version", make: (d) => `La versión ${version4(d)} corrige el error ${n(d, 100, 9999)} del módulo de facturación.` },
  { name: "it-invoice", make: (d) => `La fattura n. ${n(d, 1, 999)}/${n(d, 2023, 2025)} di € ${n(d, 10, 9999)},${d.digits(2)} è stata pagata.` },
  { name: "pt-protocol", make: (d) => `O protocolo ${n(d, 2023, 2025)}${d.digits(10)} foi aberto na ${d.pick(["segunda", "terça", "sexta"])}-feira.` },
  { name: "nl-meeting", make: (d) => `De vergadering van het ${d.pick(["Bestuur", "Team Verkoop", "Projectteam"])} is verplaatst naar zaal ${n(d, 1, 40)} om ${n(d, 9, 17)}:${d.pick(["00", "30"])}.` },
];

/** Benign sentences that trip detectors in specific ways, written by hand (not generated). */
export const BENIGN_HARD: readonly string[] = [
  "Upgrade to 10.0.0.1 of the SDK before Friday.",
  "Chrome 120.0.6099.109 fixed the rendering bug.",
  "Call stack depth exceeded at frame 555-1234.",
  "May is the best month for hiking.",
  "Will it rain tomorrow?",
  "Grace periods are 30 days.",
  "Hope Street is a film, not an address.",
  "Mark the PR as ready when CI passes.",
  "Bill the client for 12 hours.",
  "Jack up the car before changing the tyre.",
  "Apple and Amazon reported earnings on Thursday.",
  "The Main Street Journal covered the story.",
  "Take the 5th Avenue exit.",
  "Paris is 344 km from London.",
  "The year 2038 problem affects 32-bit timestamps.",
  "Pi is approximately 3.14159265358979.",
  "Please rate us 5 stars.",
  "The answer is 42.",
  "Set max_tokens to 4096 and temperature to 0.7.",
  "The password policy requires 12 characters.",
  "Your API key should never be committed to git.",
  "Use Bearer authentication for all endpoints.",
  "The bearer of this letter is trusted.",
  "sk-learn is a common typo for scikit-learn.",
  "ghp_ is the prefix GitHub uses for personal tokens.",
  "AKIA is how AWS access key ids start.",
  "eyJ is what base64 JSON starts with.",
  "-----BEGIN CERTIFICATE----- blocks are public.",
  "ISO 8601 dates look like 2024-05-01.",
  "The meeting is at 10:30 in room 4B.",
  "We need 250 GB of disk and 16 GB of RAM.",
  "Sort by column 3, then column 7.",
  "It took 1.2.3 seconds? No, 1.23 seconds.",
  "Docker image node:20.11.1-alpine3.19 is pinned.",
  "The Dewey decimal number is 005.133.",
  "Gauge 00 trains are 1:76 scale.",
  "The Bible verse John 3:16 is well known.",
  "Section 230 of the Communications Decency Act.",
  "Interstate 95 runs from Florida to Maine.",
  "Dear colleagues, the office is closed on Monday.",
  "Kind regards, the Support Team",
  "Best wishes from all of us at Acme.",
  "Thanks, Engineering",
  "Mr. Robot is a TV series.",
  "Dr. Pepper is a soft drink.",
  "Saint Louis Blues won the cup.",
  "Mercedes-Benz unveiled the new model.",
  "The Eiffel Tower is 330 metres tall.",
  "Amazon Prime Day starts July 16.",
  "Her cat is 12 years old.",
  "The building is 150 years old.",
  "Aged cheddar for 24 months.",
  "The file is 2048 bytes long.",
  "Set the MTU to 1500 on eth0.",
  "Use the 00:00 to 06:00 maintenance window.",
  "Windows 10.0.19045.3693 is the current build.",
  "The UUID 123e4567-e89b-12d3-a456-426614174000 is the RFC example.",
  "Our NPS is 72, up from 65.",
  "Lot 4B, pallet 17, shelf C3.",
  "The Fibonacci number F(30) is 832040.",
  "9780306406157 is the ISBN in every textbook example.",
  "Add 1 cup of flour and 2 eggs.",
  "Paragraph 12(3)(b) of the contract applies.",
  "Table 4.2.1.3 lists the results.",
  "Run npm install lodash@4.17.21 --save.",
  "Visit www.example.com for details.",
  "Ship it to the warehouse on Industrial Way.",
  "Avenue Q is a musical.",
  "The Long and Winding Road is a Beatles song.",
  "Rue de Rivoli is a famous shopping street in Paris.",
  "Straße des 17. Juni is in Berlin's Tiergarten.",
  "Ich habe 3 Äpfel und 2 Birnen gekauft.",
  "Le train part à 14h30 du quai 7.",
  "El pedido 12345 llegará el lunes.",
  "Il volo AZ 610 parte alle 10:15.",
  "De vergadering is om 09:00 in zaal 3.",
  "O pedido 98765 foi enviado ontem.",
  // written for the precision/recall pass (issue #16), independent of the generated shapes
  "Flight LH 2472 departs from gate B22 at 07:45.",
  "Chapter 11 protection was filed in 2009.",
  "The Washington Post and the Boston Globe both ran the story.",
  "Build 4.18.2.7 fixed the memory leak.",
  "Room 1204 on floor 12 is booked for the review.",
  "The recipe serves 4 and takes 35 minutes.",
  "Invoice INV-2024-00731 is overdue by 14 days.",
  "Port 8443 is open on the load balancer.",
  "SHA-256 of the release: 9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08",
  "Temperature dropped to -12 °C overnight.",
  "Kubernetes 1.29 removes the flowcontrol v1beta2 API.",
  "Highway 101 was closed near exit 27.",
  "Order total: 1,249.99 EUR including 19 % VAT.",
  "Coordinates 48.8584, 2.2945 mark the tower.",
  "Model RX-7800-XT is sold out until March.",
  "Lisbon and Porto are 313 km apart.",
  "Sprint 42 ends on Friday with a demo.",
  "Use colour #3C22FB for the header.",
  "Apollo 11 landed on 20 July 1969.",
  "Die Bahn hat heute 15 Minuten Verspätung.",
  "Le chapitre 3 commence à la page 87.",
  "The firmware image is 16777216 bytes.",
  "Press 1 for sales, 2 for support, 0 for an operator.",
];
