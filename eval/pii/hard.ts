/**
 * Hand-written hard cases, labelled inline as `[[type:value]]` or `[[type/kind:value]]` (types.ts parseMarkup).
 * Checksummed values are valid (checked by tests/gates/pii-eval.test.ts through checksums.ts).
 */

/** Labelled hard cases: formats the issue reported missed or cut, odd spellings, values in odd places. */
export const HARD_CASES: readonly string[] = [
  // phones: extensions, prefixes, national formats, bare digits with context
  "Call [[phone/phone-ext:(415) 555-0132 x123]] and ask for billing.",
  "Office: [[phone/phone-ext:+1 212-555-0187 ext. 45]]",
  "From abroad dial [[phone/phone-idd:001-518-640-0854]].",
  "My number is [[phone/phone-bare:4155550132]], text me.",
  "phone: [[phone/phone-short:467 3395]]",
  "Tél : [[phone/phone-fr-dashes:01-56-85-91-32]]",
  "telefone [[phone/phone-br:(37) 3788-0632]]",
  "Ring me on [[phone/phone-au:0490 75 40 81]] after 6.",
  "Mobiel: [[phone/phone-nl:06 8887 2499]]",
  "Tel.: [[phone/phone-de:+49 (0)30 901820]]",
  "UK office [[phone/phone-gb:+44 (0)20 7946 0958]], fax [[phone/phone-gb:020 7946 0959]]",
  "call 1-800-FLOWERS? no: call [[phone/phone-us:1-800-356-9377]]",
  "whatsapp [[phone/phone-in:+91 98765 43210]] pls",
  // emails: apostrophes, non-ASCII, obfuscation, punctuation around
  "Write to [[email/email-apostrophe:o'connor@example.ie]] or [[email/email-unicode:müller@beispiel.de]].",
  "contact: [[email/email-obfuscated:jane [at] example [dot] com]]",
  "mailto:[[email:first.last+news@sub.example.co.uk]]",
  "The link was https://example.com/unsubscribe?u=[[email/email-percent:jane%40example.com]]",
  "(email: [[email:x_y-z@mail-server.example.org]])",
  "<[[email/email-unicode:josé.garcía@correo.es]]>",
  // cards
  "Maestro card [[payment_card/maestro:6759 0000 1230]] expired.",
  "card: [[payment_card/visa-dots:4532.0151.1283.0366]]",
  "Amex [[payment_card/amex:3714 496353 98431]], CVV on the front.",
  "pay with [[payment_card/mastercard:5105105105105100]]",
  // IBANs
  "IBAN: [[iban/iban-lower:gb82west12345698765432]]",
  "Bankverbindung: [[iban/iban-de:DE89 3704 0044 0532 0130 00]]",
  "RIB/IBAN [[iban/iban-fr:FR1420041010050500013M02606]]",
  // SSNs
  "SSN [[us_ssn/ssn-dot:536.22.8174]]",
  "social security number [[us_ssn/ssn-endash:536–22–8174]]",
  "SSN: [[us_ssn/ssn-bare:536228174]]",
  // IPs
  "Blocked [[ipv4:203.0.113.77]] and [[ipv6:2001:db8::ff00:42:8329]] at the firewall.",
  "upstream=[[ipv6:fe80::1ff:fe23:4567:890a]]%eth0",
  // secrets
  "AWS_ACCESS_KEY_ID=[[secret/aws:AKIAIOSFODNN7EXAMPLE]]",
  "token [[secret/github: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]] leaked in the issue",
  "Authorization: Bearer [[secret/bearer:mF_9.B5f-4.1JqM]]",
  "export OPENAI_API_KEY=[[secret/openai:sk-proj-AbCdEfGhIjKlMnOpQrStUvWxYz0123456789T3BlbkFJAbCdEfGhIjKlMnOpQrStUvWxYz]]",
  "password = \"[[secret/generic:Tr0ub4dor&3xkcd!]]\"",
  // national IDs
  "NI number [[national_id/nino:QQ 12 34 56 C]]",
  "SIN: [[national_id/sin:130 354 004]]",
  "Aadhaar [[national_id/aadhaar:2345 6789 0124]], PAN [[national_id/pan:ABCPE1234F]]",
  "DNI [[national_id/dni:12345678Z]], NIE [[national_id/nie:X1234567L]]",
  "codice fiscale: [[national_id/codice_fiscale:RSSMRA85T10A562S]]",
  "CPF [[national_id/cpf:529.982.247-25]] / CNPJ [[national_id/cnpj:11.222.333/0001-81]]",
  "n° sécu [[national_id/nir:1 85 05 78 006 084 91]]",
  "Steuer-ID: [[national_id/steuer_id:86 095 742 719]]",
  // names: case, particles, accents, non-Latin scripts, lists, signatures
  "hey this is [[person/name-lower:sarah connor]], my order never came",
  "Dear [[person:José Álvarez-Ruiz]], thank you for your patience.",
  "Signed, [[person:Zoë Ng]]",
  "Meeting with [[person:Nguyễn Văn An]] and [[person:Björn Ødegaard]] at 3pm.",
  "Attendees: [[person:Priya Raghunathan]], [[person:Olusegun Adeyemi]], [[person:Mei-Ling Chen]]",
  "Forwarded by [[person:Jean-Baptiste de La Fontaine]]",
  "Herr [[person:Klaus-Dieter Müller]] hat angerufen.",
  "Ask [[person:Will Smith]] from accounts, not the actor.",
  "— [[person:Ana Beatriz dos Santos]]",
  "-- \n[[person:Hamish McAllister]]\nHead of Ops",
  // addresses and postcodes
  "Flat 3, [[street_address:14 Lansdowne Road]], London [[postal_code:W11 3AL]]",
  "Ship to: [[street_address:1600 Amphitheatre Pkwy, Unit 4]], Mountain View, CA [[postal_code:94043]]",
  "Adresse : [[street_address:12 rue de la Paix]], [[postal_code:75002]] Paris",
  "Anschrift: [[street_address:Hauptstraße 5a]], [[postal_code:10115]] Berlin",
  "Dirección: [[street_address:Calle de Alcalá 48, 3º izq.]], [[postal_code:28014]] Madrid",
  "indirizzo: [[street_address:Via Roma 10]], [[postal_code:00184]] Roma",
  "P.O. box: [[street_address:PO Box 4521]], Austin TX [[postal_code:78701-4521]]",
  "zip [[postal_code:90210]] please",
  // dates of birth, ages
  "DOB: [[date_of_birth:04/07/1986]]",
  "born on [[date_of_birth:12 March 1979]] in Leeds",
  "geboren am [[date_of_birth:3. Oktober 1990]]",
  "née le [[date_of_birth:14/02/1972]]",
  "I'm [[age:34]] and my sister is [[age:29]].",
  "age: [[age:67]]",
  "a [[age:52]]-year-old woman",
  // passports, licences, wallets, MACs, URLs with credentials
  "passport no. [[passport/passport-us:567812349]]",
  "Reisepassnummer [[passport/passport-de:C01X00T47]]",
  "DL# [[driver_licence/licence-ca:D1234567]]",
  "driving licence [[driver_licence/licence-uk:MORGA753116SM9IJ]]",
  "BTC: [[crypto_wallet/btc-p2pkh:1BvBMSEYstWetqTFn5Au4m4GFg7xJaNVN2]]",
  "send ETH to [[crypto_wallet/eth:0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed]]",
  "segwit [[crypto_wallet/btc-bech32:bc1qar0srrr7xfkvy5l643lydnw9re59gtzzwf5mdq]]",
  "MAC [[mac_address:00:1A:2B:3C:4D:5E]] and [[mac_address:0050.56c0.0008]]",
  "db: [[url_credentials:postgres://admin:hunter22secret@db.internal.example.com:5432]]/app",
  "clone from [[url_credentials:https://deploy:gh-Xy7pQ2m9@git.example.com]]/repo.git",
  // values split across lines and inside markup
  "<td>[[person:Ingrid Johansson]]</td><td>[[email:ingrid.j@example.se]]</td><td>[[phone/phone-intl:+46 8 123 456 78]]</td>",
  "**Name:** [[person:Tomás Herrera]]  \n**Phone:** [[phone/phone-intl:+34 612 34 56 78]]",
];
