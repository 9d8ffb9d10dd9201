import { gzipSync } from 'node:zlib'
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { parseCsv } from './loaders/csv.js'
import { parseEuXml } from './loaders/eu-xml.js'
import { parseOfacAdvancedXml } from './loaders/ofac-advanced-xml.js'
import { parseOfacCsv } from './loaders/ofac-csv.js'
import { parseDateText, parseRemarks } from './loaders/remarks.js'
import { detectFormat, parseListSource } from './loaders/source.js'
import { parseUkCsv } from './loaders/uk-csv.js'
import { parseUnXml } from './loaders/un-xml.js'
import { parseCslCsv } from './loaders/csl-csv.js'
import { ListFormatError } from './screening.errors.js'

const CRLF = (lines: string[]): string => `${lines.join('\r\n')}\r\n\x1a`

const SDN = CRLF([
  '306,"BANCO NACIONAL DE CUBA",-0- ,"CUBA",-0- ,-0- ,-0- ,-0- ,-0- ,-0- ,-0- ,"a.k.a. \'BNC\'."',
  '7157,"ABU SAYYAF, Khalid","individual","SDGT",-0- ,-0- ,-0- ,-0- ,-0- ,-0- ,-0- ,"DOB 04 Apr 1962; alt. DOB 1963; POB Jolo, Philippines; nationality Philippines; Passport A123456 (Philippines); Gender Male."',
  '9999,"SEA STAR","vessel","IRAN",-0- ,"9HA1234","Crude Oil Tanker",-0- ,-0- ,"Malta",-0- ,"Vessel Registration Identification IMO 9187629; Digital Currency Address - XBT 1BoatSLRHtKNngkdXEeobR76b53LETtpyT."',
])
const ALT = CRLF([
  '306,220,"aka","NATIONAL BANK OF CUBA",-0- ',
  '7157,221,"aka","SAYYAF, Abu",-0- ',
  '1,222,"aka","ORPHAN",-0- ',
])
const ADD = CRLF(['306,199,"Zweierstrasse 35","Zurich CH-8022","Switzerland",-0- '])
const COMMENTS = CRLF(['7157," Linked To: ABU SAYYAF GROUP."'])

describe('CSV reader', () => {
  it('reads quoted fields, doubled quotes, CRLF and the trailing 0x1A', () => {
    const rows = parseCsv('a,"b ""c"", d",-0- \r\n"multi\nline",x\r\n\x1a', 'f.csv')
    expect(rows.map((r) => r.cells)).toEqual([
      ['a', 'b "c", d', '-0- '],
      ['multi\nline', 'x'],
    ])
    expect(rows[1]!.line).toBe(2)
  })

  it('names the line of an unterminated quote', () => {
    expect(() => parseCsv('a,b\r\nc,"never closed\r\nd,e\r\n', 'bad.csv')).toThrow(
      /bad\.csv: line 2: a quoted field is never closed/,
    )
  })

  it('round-trips any table written with quotes', () => {
    const cell = fc.string({ maxLength: 12 })
    fc.assert(
      fc.property(
        fc.array(fc.array(cell, { minLength: 2, maxLength: 4 }), { minLength: 1, maxLength: 5 }),
        (table) => {
          const text = table.map((r) => r.map((c) => `"${c.replace(/"/g, '""')}"`).join(',')).join('\r\n')
          expect(parseCsv(text, 't').map((r) => r.cells)).toEqual(table)
        },
      ),
      { numRuns: 200 },
    )
  })
})

describe('OFAC legacy CSV', () => {
  const parsed = parseOfacCsv({
    primary: { name: 'sdn.csv', text: SDN },
    alt: { name: 'alt.csv', text: ALT },
    add: { name: 'add.csv', text: ADD },
    comments: { name: 'sdn_comments.csv', text: COMMENTS },
  })

  it('joins primary, aliases, addresses and remarks', () => {
    expect(parsed.entries).toHaveLength(3)
    const bank = parsed.entries.find((e) => e.key === '306')!
    expect(bank.type).toBe('entity')
    expect(bank.names).toEqual([
      { name: 'BANCO NACIONAL DE CUBA', kind: 'primary' },
      { name: 'NATIONAL BANK OF CUBA', kind: 'alias' },
      { name: 'BNC', kind: 'weak_alias' },
    ])
    expect(bank.countries).toEqual(['CH'])
    expect(parsed.warnings[0]).toMatch(/1 aliases of entries absent/)
  })

  it('reads dates of birth, nationality, documents, vessel flags and crypto addresses from the remarks', () => {
    const p = parsed.entries.find((e) => e.key === '7157')!
    expect(p.type).toBe('person')
    expect(p.dobs).toEqual(['1962-04-04', '1963'])
    expect(p.countries).toEqual(['PH'])
    expect(p.identifiers).toContainEqual({ type: 'Passport', value: 'A123456', country: 'PH' })
    expect(p.remarks).toContain('Linked To: ABU SAYYAF GROUP')
    const v = parsed.entries.find((e) => e.key === '9999')!
    expect(v.type).toBe('vessel')
    expect(v.countries).toEqual(['MT'])
    expect(v.cryptoAddresses).toEqual([{ currency: 'XBT', address: '1BoatSLRHtKNngkdXEeobR76b53LETtpyT' }])
    expect(v.identifiers.map((i) => i.value)).toContain('9187629')
  })

  it('rejects a row with the wrong number of columns, naming file and line', () => {
    const bad = SDN.replace('"SEA STAR","vessel",', '"SEA STAR",')
    expect(() => parseOfacCsv({ primary: { name: 'sdn.csv', text: bad } })).toThrow(
      /sdn\.csv: line 3: expected 12 columns, found 11/,
    )
    expect(() =>
      parseOfacCsv({
        primary: { name: 'sdn.csv', text: 'x1,"A",-0- ,-0- ,-0- ,-0- ,-0- ,-0- ,-0- ,-0- ,-0- ,-0- ' },
      }),
    ).toThrow(/line 1: ent_num "x1" is not a number/)
  })

  it('parses OFAC date phrases', () => {
    expect(parseDateText('circa 1960')).toEqual(['1960'])
    expect(parseDateText('1960 to 1962')).toEqual(['1960/1962'])
    expect(parseDateText('Dec 1955')).toEqual(['1955-12'])
    expect(parseRemarks('DOB 01 Jan 1960 to 31 Dec 1962; citizen Iran').dobs).toEqual(['1960/1962'])
  })
})

const UN = `<?xml version="1.0" encoding="UTF-8"?>
<CONSOLIDATED_LIST dateGenerated="2026-02-27T00:00:09.554Z">
  <INDIVIDUALS>
    <INDIVIDUAL>
      <DATAID>6908555</DATAID><FIRST_NAME>ABDUL HAI</FIRST_NAME><SECOND_NAME>SALEK</SECOND_NAME>
      <UN_LIST_TYPE>Al-Qaida</UN_LIST_TYPE><NAME_ORIGINAL_SCRIPT>عبد الحی سالک</NAME_ORIGINAL_SCRIPT>
      <NATIONALITY><VALUE>Afghanistan</VALUE></NATIONALITY>
      <INDIVIDUAL_ALIAS><QUALITY>Good</QUALITY><ALIAS_NAME>ABDULHAI SALEK</ALIAS_NAME></INDIVIDUAL_ALIAS>
      <INDIVIDUAL_ALIAS><QUALITY>Low</QUALITY><ALIAS_NAME>SALIK</ALIAS_NAME></INDIVIDUAL_ALIAS>
      <INDIVIDUAL_DATE_OF_BIRTH><TYPE_OF_DATE>EXACT</TYPE_OF_DATE><YEAR>1965</YEAR></INDIVIDUAL_DATE_OF_BIRTH>
      <INDIVIDUAL_DATE_OF_BIRTH><TYPE_OF_DATE>EXACT</TYPE_OF_DATE><DATE>1966-02-03</DATE></INDIVIDUAL_DATE_OF_BIRTH>
      <INDIVIDUAL_DOCUMENT><TYPE_OF_DOCUMENT>Passport</TYPE_OF_DOCUMENT><NUMBER>OR 1234</NUMBER><ISSUING_COUNTRY>Afghanistan</ISSUING_COUNTRY></INDIVIDUAL_DOCUMENT>
    </INDIVIDUAL>
  </INDIVIDUALS>
  <ENTITIES>
    <ENTITY><DATAID>110</DATAID><FIRST_NAME>AL-RASHID TRUST</FIRST_NAME><UN_LIST_TYPE>Al-Qaida</UN_LIST_TYPE>
      <ENTITY_ALIAS><QUALITY>a.k.a.</QUALITY><ALIAS_NAME>AL RASHEED TRUST</ALIAS_NAME></ENTITY_ALIAS>
      <ENTITY_ADDRESS><COUNTRY>Pakistan</COUNTRY></ENTITY_ADDRESS>
    </ENTITY>
  </ENTITIES>
</CONSOLIDATED_LIST>`

describe('UN consolidated XML', () => {
  it('reads people and entities with aliases, dates, nationality and documents', () => {
    const p = parseUnXml(UN)
    expect(p.entries).toHaveLength(2)
    const [ind, ent] = p.entries
    expect(ind).toMatchObject({
      key: '6908555',
      type: 'person',
      dobs: ['1965', '1966-02-03'],
      countries: ['AF'],
    })
    expect(ind!.names.map((n) => n.kind)).toEqual(['primary', 'original_script', 'alias', 'weak_alias'])
    expect(ind!.identifiers).toEqual([{ type: 'Passport', value: 'OR 1234', country: 'AF' }])
    expect(ent).toMatchObject({
      key: '110',
      type: 'entity',
      countries: ['PK'],
      names: [
        { name: 'AL-RASHID TRUST', kind: 'primary' },
        { name: 'AL RASHEED TRUST', kind: 'alias' },
      ],
    })
  })

  it('refuses entity declarations (expansion bombs)', () => {
    const bomb = `<?xml version="1.0"?>\n<!DOCTYPE x [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;">]>\n<CONSOLIDATED_LIST>&b;</CONSOLIDATED_LIST>`
    expect(() => parseUnXml(bomb, 'bomb.xml')).toThrow(
      /bomb\.xml: line 2: DOCTYPE entity declarations are not accepted/,
    )
  })

  it('rejects broken XML naming line and column, and a record without DATAID naming the element', () => {
    expect(() => parseUnXml(UN.replace('</SECOND_NAME>', '</SECOND>'), 'un.xml')).toThrow(
      /un\.xml: line 5, column \d+/,
    )
    expect(() => parseUnXml(UN.replace('<DATAID>110</DATAID>', ''), 'un.xml')).toThrow(
      /<ENTITY> #1: missing <DATAID>/,
    )
  })
})

const CSL_HEADER =
  '_id,source,entity_number,type,programs,name,title,addresses,federal_register_notice,start_date,end_date,standard_order,license_requirement,license_policy,call_sign,vessel_type,gross_tonnage,gross_registered_tonnage,vessel_flag,vessel_owner,remarks,source_list_url,alt_names,citizenships,dates_of_birth,nationalities,places_of_birth,source_information_url,ids'

describe('US Consolidated Screening List CSV', () => {
  it('reads names, aliases, dates, nationalities and ids', () => {
    const csv = `${CSL_HEADER}\n21944,Specially Designated Nationals (SDN) - Treasury Department,21944,Individual,SYRIA,"'ABBAS, Rim",Employee,SY,,,,,,,,,,,,,,http://x,"ABBAS, Reem; RIM ABBAS",,1973-03-25,SY,"",http://y,"Passport, N123, SY, , "\n`
    const p = parseCslCsv(csv)
    expect(p.entries).toHaveLength(1)
    expect(p.entries[0]).toMatchObject({
      key: '21944',
      type: 'person',
      dobs: ['1973-03-25'],
      countries: ['SY'],
    })
    expect(p.entries[0]!.names.map((n) => n.name)).toEqual(["'ABBAS, Rim", 'ABBAS, Reem', 'RIM ABBAS'])
    expect(p.entries[0]!.identifiers).toEqual([{ type: 'Passport', value: 'N123', country: 'SY' }])
    // The real file ships gzipped: detection and decompression work on the bytes.
    const src = { name: 'c.csv.gz', files: new Map([['c.csv.gz', gzipSync(csv)]]) }
    expect(detectFormat(src)).toBe('csl-csv')
    expect(parseListSource(src).entries).toHaveLength(1)
  })

  it('rejects a missing column and a short row', () => {
    expect(() => parseCslCsv('_id,source,name\n1,x,y\n', 'c.csv')).toThrow(/line 1: missing column "type"/)
    expect(() => parseCslCsv(`${CSL_HEADER}\n1,x,y\n`, 'c.csv')).toThrow(
      /c\.csv: line 2: expected 29 columns, found 3/,
    )
  })
})

const EU = `<?xml version="1.0" encoding="UTF-8"?>
<export xmlns="http://eu.europa.ec/fpi/fsd/export" generationDate="2024-05-01T10:00:00.000+02:00" globalFileId="1">
  <sanctionEntity designationDetails="" unitedNationId="" euReferenceNumber="EU.27.28" logicalId="13">
    <regulation regulationType="amendment" programme="IRQ" logicalId="1"/>
    <subjectType code="person" classificationCode="P"/>
    <nameAlias firstName="Saddam" middleName="" lastName="Hussein Al-Tikriti" wholeName="Saddam Hussein Al-Tikriti" gender="M" strong="true" logicalId="17"/>
    <nameAlias wholeName="Abu Ali" strong="false" logicalId="18"/>
    <citizenship countryIso2Code="IQ" countryDescription="IRAQ" logicalId="19"/>
    <birthdate circa="false" birthdate="1937-04-28" dayOfMonth="28" monthOfYear="4" year="1937" countryIso2Code="IQ" logicalId="20"/>
    <identification number="A123" countryIso2Code="IQ" identificationTypeCode="passport" logicalId="21"/>
  </sanctionEntity>
  <sanctionEntity logicalId="14">
    <subjectType code="enterprise" classificationCode="E"/>
    <nameAlias wholeName="Bank Melli Iran" strong="true" logicalId="22"/>
    <birthdate year="1950" logicalId="23"/>
    <address countryIso2Code="IR" logicalId="24"/>
  </sanctionEntity>
</export>`

describe('EU Financial Sanctions Files XML', () => {
  it('reads subjects, aliases (weak when not strong), citizenship, birthdates and documents', () => {
    const p = parseEuXml(EU)
    expect(p.entries).toHaveLength(2)
    expect(p.entries[0]).toMatchObject({
      key: '13',
      type: 'person',
      names: [
        { name: 'Saddam Hussein Al-Tikriti', kind: 'primary' },
        { name: 'Abu Ali', kind: 'weak_alias' },
      ],
      countries: ['IQ'],
      dobs: ['1937-04-28'],
      identifiers: [{ type: 'passport', value: 'A123', country: 'IQ' }],
      programs: ['IRQ'],
    })
    expect(p.entries[1]).toMatchObject({ key: '14', type: 'entity', countries: ['IR'], dobs: ['1950'] })
    expect(detectFormat({ name: 'eu.xml', files: new Map([['eu.xml', Buffer.from(EU)]]) })).toBe('eu-xml')
  })

  it('rejects an entity without names or id, naming it', () => {
    expect(() =>
      parseEuXml(EU.replace(/<nameAlias wholeName="Bank Melli Iran"[^>]*\/>/, ''), 'eu.xml'),
    ).toThrow(/<sanctionEntity> #2 \(logicalId 14\): no <nameAlias>/)
    expect(() =>
      parseEuXml(EU.replace('<sanctionEntity logicalId="14">', '<sanctionEntity>'), 'eu.xml'),
    ).toThrow(/#2: missing logicalId/)
    expect(() => parseEuXml('<other/>', 'eu.xml')).toThrow(/expected <export>/)
  })
})

const UK_HEADER =
  'Name 6,Name 1,Name 2,Name 3,Name 4,Name 5,Title,Name Non-Latin Script,Non-Latin Script Type,Non-Latin Script Language,DOB,Town of Birth,Country of Birth,Nationality,Passport Number,Passport Details,National Identification Number,National Identification Details,Position,Address 1,Address 2,Address 3,Address 4,Address 5,Address 6,Post/Zip Code,Country,Other Information,Group Type,Alias Type,Alias Quality,Regime,Listed On,UK Sanctions List Date Designated,Last Updated,Group ID'
const ukRow = (cells: Record<string, string>): string =>
  UK_HEADER.split(',')
    .map((h) => `"${cells[h] ?? ''}"`)
    .join(',')

describe('UK consolidated list CSV', () => {
  const csv = [
    'Last Updated,01/05/2024',
    UK_HEADER,
    ukRow({
      'Name 6': 'HUSSEIN AL-TIKRITI',
      'Name 1': 'Saddam',
      DOB: '28/04/1937',
      Nationality: '(1) Iraq',
      'Group Type': 'Individual',
      'Alias Type': 'Primary name',
      Regime: 'Iraq',
      'Group ID': '7',
      'Passport Number': 'A123',
    }),
    ukRow({
      'Name 6': 'ABU ALI',
      DOB: '00/00/1937',
      'Group Type': 'Individual',
      'Alias Type': 'AKA',
      'Alias Quality': 'Low',
      'Group ID': '7',
    }),
    ukRow({
      'Name 6': 'SEA SHIP',
      'Group Type': 'Ship',
      'Alias Type': 'Primary name',
      'Group ID': '8',
      Country: 'Iran',
    }),
  ].join('\r\n')

  it('groups name rows by Group ID into entries', () => {
    const p = parseUkCsv(csv)
    expect(p.entries).toHaveLength(2)
    expect(p.entries[0]).toMatchObject({
      key: '7',
      type: 'person',
      names: [
        { name: 'HUSSEIN AL-TIKRITI, Saddam', kind: 'primary' },
        { name: 'ABU ALI', kind: 'weak_alias' },
      ],
      dobs: ['1937-04-28', '1937'],
      countries: ['IQ'],
      identifiers: [{ type: 'passport', value: 'A123' }],
    })
    expect(p.entries[1]).toMatchObject({ key: '8', type: 'vessel', countries: ['IR'] })
    expect(detectFormat({ name: 'c.csv', files: new Map([['c.csv', Buffer.from(csv)]]) })).toBe('uk-csv')
  })

  it('rejects a row without a name or with a bad Group ID, naming the line', () => {
    const bad = csv.replace('"SEA SHIP"', '""')
    expect(() => parseUkCsv(bad, 'ConList.csv')).toThrow(/ConList\.csv: line 5: no name/)
    expect(() => parseUkCsv(csv.replace('"8"', '"x"'), 'ConList.csv')).toThrow(/line 5: Group ID "x"/)
  })
})

const ADV = `<?xml version="1.0" encoding="utf-8"?>
<Sanctions xmlns="https://sanctionslistservice.ofac.treas.gov/api/PublicationPreview/exports/ADVANCED_XML">
  <ReferenceValueSets>
    <AliasTypeValues><AliasType ID="1400">A.K.A.</AliasType><AliasType ID="1403">Name</AliasType></AliasTypeValues>
    <CountryValues><Country ID="11" ISO2="AF">Afghanistan</Country></CountryValues>
    <FeatureTypeValues><FeatureType ID="8">Birthdate</FeatureType><FeatureType ID="10">Nationality Country</FeatureType><FeatureType ID="344">Digital Currency Address - XBT</FeatureType></FeatureTypeValues>
    <IDRegDocTypeValues><IDRegDocType ID="1571">Passport</IDRegDocType></IDRegDocTypeValues>
    <NamePartTypeValues><NamePartType ID="1520">Last Name</NamePartType><NamePartType ID="1521">First Name</NamePartType></NamePartTypeValues>
    <PartySubTypeValues><PartySubType ID="4" PartyTypeID="1">Unknown</PartySubType><PartySubType ID="1" PartyTypeID="3">Vessel</PartySubType></PartySubTypeValues>
    <PartyTypeValues><PartyType ID="1">Individual</PartyType><PartyType ID="2">Entity</PartyType><PartyType ID="3">Vessel</PartyType></PartyTypeValues>
  </ReferenceValueSets>
  <Locations><Location ID="500"><LocationCountry CountryID="11"/></Location></Locations>
  <DistinctParties>
    <DistinctParty FixedRef="6636">
      <Profile ID="6636" PartySubTypeID="4">
        <Identity ID="4000" FixedRef="6636" Primary="true" False="false">
          <Alias FixedRef="6636" AliasTypeID="1403" Primary="true" LowQuality="false">
            <DocumentedName ID="1" FixedRef="6636" DocNameStatusID="1">
              <DocumentedNamePart><NamePartValue NamePartGroupID="90" ScriptID="215">OMAR</NamePartValue></DocumentedNamePart>
              <DocumentedNamePart><NamePartValue NamePartGroupID="91" ScriptID="215">Mohammed</NamePartValue></DocumentedNamePart>
            </DocumentedName>
          </Alias>
          <Alias FixedRef="6636" AliasTypeID="1400" Primary="false" LowQuality="true">
            <DocumentedName ID="2" FixedRef="6636" DocNameStatusID="1">
              <DocumentedNamePart><NamePartValue NamePartGroupID="92" ScriptID="215">Mullah Omar</NamePartValue></DocumentedNamePart>
            </DocumentedName>
          </Alias>
          <NamePartGroups>
            <MasterNamePartGroup><NamePartGroup ID="90" NamePartTypeID="1520"/></MasterNamePartGroup>
            <MasterNamePartGroup><NamePartGroup ID="91" NamePartTypeID="1521"/></MasterNamePartGroup>
            <MasterNamePartGroup><NamePartGroup ID="92" NamePartTypeID="1521"/></MasterNamePartGroup>
          </NamePartGroups>
        </Identity>
        <Feature ID="7" FeatureTypeID="8"><FeatureVersion ID="8" ReliabilityID="1"><DatePeriod CalendarTypeID="1">
          <Start><From><Year>1960</Year><Month>1</Month><Day>1</Day></From><To><Year>1960</Year><Month>1</Month><Day>1</Day></To></Start>
          <End><From><Year>1962</Year><Month>12</Month><Day>31</Day></From><To><Year>1962</Year><Month>12</Month><Day>31</Day></To></End>
        </DatePeriod></FeatureVersion></Feature>
        <Feature ID="9" FeatureTypeID="10"><FeatureVersion ID="10"><VersionLocation LocationID="500"/></FeatureVersion></Feature>
        <Feature ID="11" FeatureTypeID="344"><FeatureVersion ID="12"><VersionDetail DetailTypeID="1432">1BoatSLRHtKNngkdXEeobR76b53LETtpyT</VersionDetail></FeatureVersion></Feature>
      </Profile>
    </DistinctParty>
  </DistinctParties>
  <IDRegDocuments><IDRegDocument ID="3" IDRegDocTypeID="1571" IdentityID="4000" IssuedBy-CountryID="11"><IDRegistrationNo>OR123</IDRegistrationNo></IDRegDocument></IDRegDocuments>
</Sanctions>`

describe('OFAC sdn_advanced.xml', () => {
  it('assembles names from typed parts and resolves features through the reference sets', () => {
    const p = parseOfacAdvancedXml(ADV)
    expect(p.entries).toHaveLength(1)
    expect(p.entries[0]).toMatchObject({
      key: '6636',
      type: 'person',
      names: [
        { name: 'OMAR, Mohammed', kind: 'primary' },
        { name: 'Mullah Omar', kind: 'weak_alias' },
      ],
      dobs: ['1960/1962'],
      countries: ['AF'],
      identifiers: [{ type: 'Passport', value: 'OR123', country: 'AF' }],
      cryptoAddresses: [{ currency: 'XBT', address: '1BoatSLRHtKNngkdXEeobR76b53LETtpyT' }],
    })
    expect(
      detectFormat({ name: 'sdn_advanced.xml', files: new Map([['sdn_advanced.xml', Buffer.from(ADV)]]) }),
    ).toBe('ofac-advanced-xml')
  })

  it('rejects a party without FixedRef or names, naming it', () => {
    expect(() =>
      parseOfacAdvancedXml(ADV.replace('<DistinctParty FixedRef="6636">', '<DistinctParty>'), 'a.xml'),
    ).toThrow(/a\.xml: <DistinctParty> #1: missing FixedRef/)
    expect(() =>
      parseOfacAdvancedXml(
        ADV.replace(/<NamePartValue[^>]*>OMAR<\/NamePartValue>/, '').replace(
          /<NamePartValue[^>]*>Mohammed<\/NamePartValue>/,
          '',
        ),
        'a.xml',
      ),
    ).toThrow(/FixedRef 6636\) <DocumentedName>: a name without any <NamePartValue>/)
  })
})

describe('format detection', () => {
  it('refuses what it cannot recognise', () => {
    expect(() => detectFormat({ name: 'x.txt', files: new Map([['x.txt', Buffer.from('hello')]]) })).toThrow(
      /SCREENING|Cannot tell the list format/,
    )
  })

  it('errors are 4xx AppErrors with a stable code', () => {
    try {
      parseUnXml(
        '<CONSOLIDATED_LIST><INDIVIDUALS><INDIVIDUAL></INDIVIDUAL></INDIVIDUALS></CONSOLIDATED_LIST>',
        'u.xml',
      )
      expect.unreachable()
    } catch (e) {
      expect(e).toBeInstanceOf(ListFormatError)
      expect(e).toMatchObject({ code: 'SCREENING_LIST_MALFORMED', kind: 'invalid' })
    }
  })
})
