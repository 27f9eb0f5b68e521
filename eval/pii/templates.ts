/**
 * Document templates by format (chat, email, ticket, log, JSON, CSV, code, form, multi-line) and language. Slots are
 * listed in slots.ts; every template is rendered many times with fresh values in each locale that speaks its language.
 */
import type { LocaleInfo } from "./personal.ts";

/** A named template and the languages it is written in (`any`: locale-neutral formats). */
export interface Template {
  /** Name (the document's source is `template:<name>`). */
  name: string;
  /** `any`, or one language. */
  lang: LocaleInfo["lang"] | "any";
  /** Template text with slots. */
  text: string;
}

const t = (name: string, lang: Template["lang"], text: string): Template => ({ name, lang, text });

/** Every template. */
export const TEMPLATES: readonly Template[] = [
  // chat messages
  t("chat-intro", "en", "Hi, I'm {me}. You can reach me at {phone} or {email}."),
  t("chat-callback", "en", "can you call me back on {phone}? ask for {first}"),
  t("chat-ship", "en", "Please ship the {product} to {address}. Thanks!"),
  t("chat-mention", "en", "I spoke with {person} yesterday and {person} said the refund would take a week."),
  t("chat-age", "en", "My dad {person} is {age} years old and lives at {street} in {city}."),
  t("chat-patient", "en", "Patient is a {age}-year-old with chest pain, seen by Dr. {person} on {date}."),
  t("chat-card", "en", "my card number is {card} exp {mm}/2{digit}, why was it declined??"),
  t("chat-ssn", "en", "For the background check: SSN {ssn}, DOB {dob}, full name {me}."),
  t("chat-wallet", "en", "send the payout to my wallet {wallet} please, not the old one"),
  t("chat-passport", "en", "I'm travelling on passport number {passport}, issued {date}."),
  t("chat-licence", "en", "Driver's license: {licence} (exp. {date})"),
  t("chat-nid", "en", "For verification, my {nid}."),
  t("chat-bank", "en", "Wire it to IBAN {iban}, account holder {me}."),
  t("chat-mixed", "en", "{first} here — new number is {phone}, new email {email}, and I moved to {address}."),
  // email
  t("email-letter", "en", "Dear {hon} {last},\n\nThank you for your order. We will deliver it to {address} on {date}.\nIf anything changes, call {phone}.\n\nKind regards,\n{person}\n{job}, {company}"),
  t("email-forward", "en", "---------- Forwarded message ---------\nFrom: {me} <{email}>\nDate: {date}\nSubject: invoice {n}\n\nHi {person}, see attached. My direct line is {phone}.\n"),
  t("email-hr", "en", "Hello HR,\n\nPlease update my records: new address {address}, date of birth {dob}, SSN {ssn}.\n\nBest,\n{me}"),
  t("email-uk", "en", "Hi {first},\n\nWe added your {nid:nino} to the payroll file and will pay into {iban:gb}.\n\nCheers,\n{person}"),
  // support tickets
  t("ticket", "any", "Ticket #{n}\nCustomer: {me}\nEmail: {email}\nPhone: {phone}\nDate of birth: {dob}\nIssue: card {card} charged twice for the {product}."),
  t("ticket-kv", "any", "[ticket {n}] requester={email} name=\"{me}\" callback={phone} addr=\"{street}\" postcode={postcode}"),
  // logs
  t("log-login", "any", "2024-{mm}-1{digit}T12:00:03Z INFO auth: login ok user={email} ip={ip} session={word}"),
  t("log-dhcp", "any", "dhcpd: DHCPACK on {ip} to {mac} via eth0"),
  t("log-db", "any", "ERROR connection failed: {url_cred} (timeout after 30s)"),
  t("log-http", "any", "{ip} - - [10/Oct/2024:13:55:36 +0000] \"GET /api/users?email={email} HTTP/1.1\" 200 {n}"),
  t("log-auth-header", "any", "DEBUG outgoing request headers: {\"Authorization\": \"Bearer {secret:bearer}\", \"Accept\": \"application/json\"}"),
  // JSON
  t("json-user", "any", "{\"id\": {n}, \"name\": \"{me}\", \"email\": \"{email}\", \"phone\": \"{phone}\", \"address\": {\"street\": \"{street}\", \"zip\": \"{postcode}\", \"city\": \"{city}\"}}"),
  t("json-payment", "any", "{\"customer\": \"{me}\", \"card\": \"{card}\", \"iban\": \"{iban}\", \"amount\": {n}.00}"),
  t("json-kyc", "any", "{\"full_name\": \"{me}\", \"dob\": \"{dob}\", \"passport\": \"{passport}\", \"national_id\": \"{nid}\"}"),
  t("json-device", "any", "{\"device\": \"{word}-{n}\", \"mac\": \"{mac}\", \"ip\": \"{ip}\", \"owner\": \"{email}\"}"),
  // CSV
  t("csv-contacts", "any", "id,name,email,phone,city,postcode\n{n},{me},{email},{phone},{city},{postcode}\n{n},{person},{email},{phone},{city},{postcode}"),
  t("csv-hr", "any", "employee,dob,ssn,age\n\"{me}\",{dob},{ssn},{age}"),
  // code and config
  t("code-openai", "any", "import OpenAI from \"openai\";\nconst client = new OpenAI({ apiKey: \"{secret:openai}\" });"),
  t("code-anthropic", "any", "client = anthropic.Anthropic(api_key=\"{secret:anthropic}\")"),
  t("code-env", "any", "# .env\n{secret_assign:aws}\nAWS_SECRET_ACCESS_KEY={secret:generic}\n{secret_assign:stripe}\nDATABASE_URL={url_cred}"),
  t("code-env2", "any", "{secret_assign}\n{secret_assign}\nLOG_LEVEL=debug"),
  t("code-curl", "any", "curl https://api.example.com/v1/charges -H \"Authorization: Bearer {secret:bearer}\" -d amount={n}"),
  t("code-slack", "any", "const slack = new WebClient(\"{secret:slack}\"); // TODO move to vault"),
  t("code-github", "any", "git remote set-url origin https://github.com/acme/{word}.git && export GH_TOKEN={secret:github}"),
  t("code-key", "any", "ssh config for the bastion:\n{secret:private_key}\nuse it with ssh -i"),
  t("code-jwt", "any", "fetch(url, { headers: { authorization: \"Bearer {secret:jwt}\" } })"),
  t("code-keys", "any", "keys = {\"google\": \"{secret:google}\", \"sendgrid\": \"{secret:sendgrid}\", \"twilio\": \"{secret:twilio}\"}"),
  t("code-npmrc", "any", "//registry.npmjs.org/:_authToken={secret:npm}\nHF_TOKEN={secret:huggingface}"),
  // forms
  t("form-kyc", "en", "Full name: {me}\nDate of birth: {dob}\nPassport number: {passport}\nAddress: {address}\nPhone: {phone}"),
  t("form-ids", "en", "Applicant: {me}\n{nid}\n{nid}\nDriver licence no. {licence}"),
  t("form-markdown", "en", "| field | value |\n|---|---|\n| name | {me} |\n| email | {email} |\n| age | {age} |\n| SSN | {ssn} |"),
  // German
  t("de-chat", "de", "Hallo, ich bin {me} und wohne in der {street}, {postcode} {city}. Ruf mich an unter {phone}."),
  t("de-letter", "de", "Sehr geehrte {hon} {last},\n\nbitte überweisen Sie den Betrag auf {iban:de}.\n\nMit freundlichen Grüßen\n{person}"),
  t("de-form", "de", "Name: {me}\nGeburtsdatum: {dob}\nAlter: {age}\n{nid:steuer_id}\nTelefon: {phone}"),
  t("de-ticket", "de", "Kunde {person} ({email}) meldet, dass die Lieferung an {address} nicht ankam."),
  // French
  t("fr-chat", "fr", "Bonjour, je m'appelle {me}, j'habite au {street}, {postcode} {city}. Mon numéro : {phone}."),
  t("fr-letter", "fr", "Madame, Monsieur,\n\nJe soussigné {me}, né le {dob}, {nid:nir}.\n\nCordialement,\n{me}"),
  t("fr-ticket", "fr", "Client : {person} — courriel {email} — tél. {phone} — IBAN {iban:fr}"),
  // Spanish
  t("es-chat", "es", "Hola, soy {me}. Mi teléfono es {phone} y mi correo {email}."),
  t("es-form", "es", "Nombre: {me}\nFecha de nacimiento: {dob}\n{nid:es}\nDirección: {address}"),
  t("es-bank", "es", "Por favor, haga la transferencia a {iban:es} a nombre de {person}. Tengo {age} años."),
  // Italian
  t("it-chat", "it", "Ciao, sono {me}, abito in {street}, {postcode} {city}. Chiamami al {phone}."),
  t("it-form", "it", "Nome: {me}\nData di nascita: {dob}\n{nid:codice_fiscale}\nIBAN: {iban:it}"),
  t("it-mail", "it", "Gentile {hon} {last},\nle confermiamo l'appuntamento del {date}. Per info: {email}.\nCordiali saluti,\n{person}"),
  // Portuguese (Brazil)
  t("pt-chat", "pt", "Oi, meu nome é {me}, {nid:cpf} e meu celular {phone}."),
  t("pt-form", "pt", "Razão social: {company}\n{nid:cnpj}\nResponsável: {person}\nEndereço: {address}"),
  t("pt-mail", "pt", "Olá {first},\nseu pedido será entregue em {street}, CEP {postcode}. Dúvidas: {email}."),
  // Dutch
  t("nl-chat", "nl", "Hoi, ik ben {me}, mijn adres is {street}, {postcode} {city}. Bel me op {phone}."),
  t("nl-form", "nl", "Naam: {me}\nGeboortedatum: {dob}\nLeeftijd: {age}\nIBAN: {iban:nl}"),
  // India-specific and mixed languages
  t("in-kyc", "en", "KYC for {me}: {nid:aadhaar}, {nid:pan}, mobile {phone}."),
  t("ca-hr", "en", "New hire {me}, {nid:sin}, start date {date}, home {address}."),
  t("mixed-de-en", "de", "FYI: der Kunde {person} hat seine neue Nummer {phone} geschickt — please update the CRM, email is {email}."),
  t("mixed-fr-en", "fr", "Note: Mme {last} (née le {dob}) asked us to use {email}; merci de mettre à jour le dossier."),
];
