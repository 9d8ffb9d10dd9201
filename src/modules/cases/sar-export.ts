import { XMLBuilder } from 'fast-xml-parser'
import { narrativeText, type SarDraft } from './sar.js'

const esc = (s: string): string =>
  s
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&#39;')

/** A readable, self-contained HTML page of the draft (every value escaped). */
export function sarToHtml(d: SarDraft, meta: { version: number; editedBy: string; createdAt: Date }): string {
  const rows = (pairs: [string, string][]) =>
    pairs.map(([k, v]) => `<tr><th>${esc(k)}</th><td>${esc(v)}</td></tr>`).join('')
  const n = d.narrative
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>SAR draft — ${esc(d.caseId)} v${meta.version}</title>
<style>body{font:14px/1.5 system-ui,sans-serif;max-width:60em;margin:2em auto;padding:0 1em}table{border-collapse:collapse;width:100%}th,td{border:1px solid #ccc;padding:.3em .5em;text-align:left;vertical-align:top}th{background:#f4f4f4;width:14em}h2{margin-top:1.5em}</style>
</head><body>
<h1>Suspicious activity report — draft</h1>
<p>Case ${esc(d.caseId)}, version ${meta.version}, edited by ${esc(meta.editedBy)} on ${esc(meta.createdAt.toISOString())}. Not filed: a draft for review.</p>
<h2>Subject</h2><table>${rows([
    ['Name', d.subject.name ?? 'not recorded'],
    ['Party', d.subject.partyId ?? 'not recorded'],
    ['Accounts', d.subject.accounts.join(', ') || 'not recorded'],
    ['Counterparties', d.counterparties.join(', ') || 'none'],
  ])}</table>
<h2>Suspicious activity</h2><table>${rows([
    ['Period', d.activity.from && d.activity.to ? `${d.activity.from} — ${d.activity.to}` : 'not recorded'],
    ['Amounts', d.amounts.map((a) => `${a.formatted} (${a.count} transactions)`).join('; ') || 'none'],
    ['Instruments', d.instruments.join(', ') || 'not recorded'],
    ['Categories', d.categories.map((c) => `${c.category}: ${c.subtype}`).join('; ') || 'none'],
  ])}</table>
<h2>Narrative</h2><table>${rows([
    ['Who', n.who],
    ['What', n.what],
    ['When', n.when],
    ['Where', n.where],
    ['Why', n.why],
    ['How', n.how],
  ])}</table>
<h2>Transactions</h2><table><tr><th>time</th><th>id</th><th>kind</th><th>amount</th><th>from → to</th></tr>${d.transactions
    .map(
      (t) =>
        `<tr><td>${esc(t.at)}</td><td>${esc(t.id)}</td><td>${esc(t.kind)}</td><td>${esc(`${t.amount} ${t.currency}`)}</td><td>${esc(`${t.src} → ${t.dst}`)}</td></tr>`,
    )
    .join('')}</table>
<h2>Alerts</h2><table><tr><th>raised</th><th>alert</th><th>rule</th><th>summary</th></tr>${d.alerts
    .map(
      (a) =>
        `<tr><td>${esc(a.raisedAt)}</td><td>${esc(`${a.source}:${a.alertId}`)}</td><td>${esc(a.rule)}</td><td>${esc(a.summary)}</td></tr>`,
    )
    .join('')}</table>
<h2>Decisions</h2><table><tr><th>when</th><th>who</th><th>what</th></tr>${d.decisions
    .map(
      (x) =>
        `<tr><td>${esc(x.at)}</td><td>${esc(x.actor)}</td><td>${esc(`${x.action}${x.outcome ? ` ${x.outcome}` : ''}${x.text ? `: ${x.text}` : ''}`)}</td></tr>`,
    )
    .join('')}</table>
</body></html>
`
}

/** FinCEN's narrative field holds at most 17,000 characters. */
const NARRATIVE_MAX = 17_000

const yyyymmdd = (iso: string | null): string => (iso ? iso.slice(0, 10).replace(/-/g, '') : '')

/** Whole US dollars, as FinCEN amount fields take them (other currencies are not converted). */
function usdWhole(d: SarDraft): string {
  const usd = d.amounts.find((a) => a.currency === 'USD')
  return usd ? (BigInt(usd.total) / 100n).toString() : ''
}

/**
 * The draft in the structure of FinCEN's BSA XML batch for the SAR (EFilingBatchXML, form SARX, one
 * Activity with its Party records, SuspiciousActivity and narrative), following the published FinCEN
 * SAR XML user guide. The XSD itself could not be retrieved here (docs/cases.md): the export follows the
 * element names and order of the guide and is not validated against the schema. Filer, transmitter and
 * institution details are not facts of the case: their elements are present and empty, for the filer.
 */
export function sarToBsaXml(d: SarDraft, filingDate: Date): string {
  let seq = 0
  const next = () => ++seq
  const party = (code: string, extra: Record<string, unknown> = {}) => ({
    '@_SeqNum': next(),
    'fc2:ActivityPartyTypeCode': code,
    ...extra,
  })
  const emptyName = () => ({
    'fc2:PartyName': { '@_SeqNum': next(), 'fc2:PartyNameTypeCode': 'L', 'fc2:RawPartyFullName': '' },
  })
  const subjectName = d.subject.name
    ? { 'fc2:PartyNameTypeCode': 'L', 'fc2:RawEntityIndividualLastName': d.subject.name }
    : {
        'fc2:EntityLastNameUnknownIndicator': 'Y',
        'fc2:FirstNameUnknownIndicator': 'Y',
        'fc2:PartyNameTypeCode': 'L',
      }
  const narrative = narrativeText(d.narrative)
  const parties = [
    party('35', emptyName()), // transmitter
    party('37', emptyName()), // transmitter contact
    party('30', emptyName()), // filing institution
    party('8', emptyName()), // contact office
    party('34', emptyName()), // financial institution where the activity occurred
    party('33', {
      // subject
      ...(d.subject.name ? {} : { 'fc2:AllCriticalSubjectInformationUnavailableIndicator': '' }),
      'fc2:PartyName': { '@_SeqNum': next(), ...subjectName },
      'fc2:Address': { '@_SeqNum': next(), 'fc2:AddressUnknownIndicator': 'Y' },
      ...(d.subject.partyId
        ? {
            'fc2:PartyIdentification': {
              '@_SeqNum': next(),
              'fc2:OtherIssuerStateText': '',
              'fc2:OtherPartyIdentificationTypeText': 'Internal party id',
              'fc2:PartyIdentificationNumberText': d.subject.partyId,
              'fc2:PartyIdentificationTypeCode': '999',
            },
          }
        : {}),
      ...(d.subject.accounts.length > 0
        ? {
            'fc2:PartyAccountAssociation': {
              '@_SeqNum': next(),
              'fc2:PartyAccountAssociationTypeCode': '7',
              'fc2:Party': {
                '@_SeqNum': next(),
                'fc2:ActivityPartyTypeCode': '41',
                'fc2:Account': d.subject.accounts.map((a) => ({
                  '@_SeqNum': next(),
                  'fc2:AccountNumberText': a,
                })),
              },
            },
          }
        : {}),
    }),
  ]
  const activity = {
    '@_SeqNum': next(),
    'fc2:FilingDateText': yyyymmdd(filingDate.toISOString()),
    'fc2:ActivityAssociation': { '@_SeqNum': next(), 'fc2:InitialReportIndicator': 'Y' },
    'fc2:Party': parties,
    'fc2:SuspiciousActivity': {
      '@_SeqNum': next(),
      ...(d.amounts.length === 0 ? { 'fc2:NoAmountInvolvedIndicator': 'Y' } : {}),
      'fc2:SuspiciousActivityFromDateText': yyyymmdd(d.activity.from),
      'fc2:SuspiciousActivityToDateText': yyyymmdd(d.activity.to),
      ...(usdWhole(d) ? { 'fc2:TotalSuspiciousAmountText': usdWhole(d) } : {}),
      'fc2:SuspiciousActivityClassification': d.categories.map((c) => ({
        '@_SeqNum': next(),
        ...(c.typeId === null
          ? { 'fc2:OtherSuspiciousActivityTypeText': `${c.category}: ${c.subtype}`.slice(0, 50) }
          : {}),
        'fc2:SuspiciousActivitySubtypeID': c.subtypeId === null ? '' : String(c.subtypeId),
        'fc2:SuspiciousActivityTypeID': c.typeId === null ? '' : String(c.typeId),
      })),
    },
    'fc2:ActivityNarrativeInformation': {
      '@_SeqNum': next(),
      'fc2:ActivityNarrativeSequenceNumber': '1',
      'fc2:NarrativeText': narrative.slice(0, NARRATIVE_MAX),
    },
  }
  const doc = {
    '?xml': { '@_version': '1.0', '@_encoding': 'UTF-8' },
    'fc2:EFilingBatchXML': {
      '@_xmlns:fc2': 'www.fincen.gov/base',
      '@_xmlns:xsi': 'http://www.w3.org/2001/XMLSchema-instance',
      '@_xsi:schemaLocation': 'www.fincen.gov/base https://www.fincen.gov/base/EFL_SARXBatchSchema.xsd',
      '@_TotalAmount': usdWhole(d) || '0',
      '@_PartyCount': String(parties.length),
      '@_ActivityCount': '1',
      '@_ActivityAttachmentCount': '0',
      '@_AttachmentCount': '0',
      'fc2:FormTypeCode': 'SARX',
      'fc2:Activity': activity,
    },
  }
  return new XMLBuilder({ ignoreAttributes: false, format: true, suppressEmptyNode: false }).build(doc)
}
