/**
 * Template slots: `{phone}`, `{person}`, `{nid}`… in a template string become generated values, labelled as they
 * are written into the document. Unlabelled slots (`{city}`, `{company}`, `{date}`…) add realistic noise.
 */
import { driverLicence, iban, NATIONAL_ID_LABELS, nationalId, passport, paymentCard, usSsn } from "./ids.ts";
import {
  address, age, dateOfBirth, email, honorific, ipAddress, type LocaleInfo, macAddress, personName, phone,
  urlWithCredentials, writtenDate,
} from "./personal.ts";
import type { Draw } from "./random.ts";
import { SECRET_NAMES, secret } from "./secrets.ts";
import type { DocBuilder } from "./types.ts";
import { cryptoWallet } from "./wallets.ts";

/** The main person of a document: emails and signatures reuse their name. */
interface Persona {
  first: string;
  last: string;
  addr: ReturnType<typeof address>;
}

/** Renders one template into a builder with fresh values. */
export class SlotWriter {
  readonly #persona: Persona;

  constructor(readonly d: Draw, readonly loc: LocaleInfo, readonly b: DocBuilder) {
    this.#persona = { first: d.faker.person.firstName(), last: d.faker.person.lastName(), addr: address(d) };
  }

  /** Write `template`, replacing every `{slot}` or `{slot:arg}`. */
  write(template: string): void {
    let last = 0;
    for (const m of template.matchAll(/\{([a-z_0-9]+)(?::([a-z_0-9]+))?\}/g)) {
      this.b.text(template.slice(last, m.index));
      this.#slot(m[1]!, m[2]);
      last = m.index + m[0].length;
    }
    this.b.text(template.slice(last));
  }

  #slot(name: string, arg: string | undefined): void {
    const { d, loc, b } = this;
    const p = this.#persona;
    switch (name) {
      case "person": { const n = personName(d); b.pii("person", n.value, n.kind); return; }
      case "me": b.pii("person", `${p.first} ${p.last}`, "name-full"); return;
      case "first": b.pii("person", p.first, "name-first"); return;
      case "last": b.pii("person", p.last, "name-last"); return;
      case "hon": b.text(honorific(d, loc)); return;
      case "phone": { const v = phone(d, loc); b.pii("phone", v.value, v.kind); return; }
      case "email": { const v = email(d, p.first, p.last); b.pii("email", v.value, v.kind); return; }
      case "street": b.pii("street_address", p.addr.street, `street-${loc.key}`); return;
      case "postcode": b.pii("postal_code", p.addr.postcode, `postcode-${loc.key}`); return;
      case "city": b.text(p.addr.city); return;
      case "state": b.text(p.addr.state); return;
      case "address": {
        b.pii("street_address", p.addr.street, `street-${loc.key}`).text(", ");
        if (loc.postcodeFirst) b.pii("postal_code", p.addr.postcode, `postcode-${loc.key}`).text(` ${p.addr.city}`);
        else if (loc.key === "en_US") b.text(`${p.addr.city}, ${p.addr.state} `).pii("postal_code", p.addr.postcode, `postcode-${loc.key}`);
        else b.text(`${p.addr.city} `).pii("postal_code", p.addr.postcode, `postcode-${loc.key}`);
        return;
      }
      case "dob": { const v = dateOfBirth(d, loc); b.pii("date_of_birth", v.value, v.kind); return; }
      case "age": b.pii("age", age(d)); return;
      case "card": { const v = paymentCard(d); b.pii("payment_card", v.value, v.kind); return; }
      case "iban": { const v = iban(d, arg?.toUpperCase()); b.pii("iban", v.value, v.kind); return; }
      case "ssn": { const v = usSsn(d); b.pii("us_ssn", v.value, v.kind); return; }
      case "ip": { const v = ipAddress(d); b.pii(v.type, v.value); return; }
      case "mac": b.pii("mac_address", macAddress(d)); return;
      case "url_cred": { const v = urlWithCredentials(d); b.pii("url_credentials", v.url).text(v.path); return; }
      case "wallet": { const v = cryptoWallet(d); b.pii("crypto_wallet", v.value, v.kind); return; }
      case "passport": { const v = passport(d); b.pii("passport", v.value, v.kind); return; }
      case "licence": { const v = driverLicence(d, p.last); b.pii("driver_licence", v.value, v.kind); return; }
      case "secret": { const v = secret(d, arg); b.pii("secret", v.value, v.kind); return; }
      case "secret_assign": {
        const v = secret(d, arg);
        const key = d.pick(SECRET_NAMES[v.kind]!);
        b.text(d.pick([`${key}=`, `${key}: `, `${key} = "`, `"${key}": "`]));
        b.pii("secret", v.value, v.kind);
        return;
      }
      case "nid": {
        const v = nationalId(d, arg);
        b.text(`${d.pick(NATIONAL_ID_LABELS[v.kind]!)}${d.pick([": ", " ", " nº "])}`);
        b.pii("national_id", v.value, v.kind);
        return;
      }
      case "company": b.text(d.faker.company.name()); return;
      case "date": b.text(writtenDate(d, loc, d.faker.date.recent({ days: 400 }))); return;
      case "n": b.text(String(d.int(2, 9999))); return;
      case "mm": b.text(String(d.int(1, 12)).padStart(2, "0")); return;
      case "digit": b.text(String(d.int(0, 9))); return;
      case "word": b.text(d.faker.lorem.word()); return;
      case "product": b.text(d.faker.commerce.productName()); return;
      case "job": b.text(d.faker.person.jobTitle()); return;
      default: throw new Error(`unknown template slot {${name}}`);
    }
  }
}
