/**
 * A report as a FHIR R4 Bundle (type `collection`) of the AuditEvents it rests on, for systems
 * that take FHIR rather than a Custos file: an EHR archive, a regulator's FHIR intake, another
 * gateway. The rows are not in it (they are a view; FHIR has no resource for them): the Bundle
 * carries the evidence, each event with its inclusion proof, and names the report it came from.
 *
 * Shape (https://hl7.org/fhir/R4/bundle.html):
 * - `identifier` and `meta.tag`: system `urn:custos:report`, value/code the report kind;
 * - `timestamp`: the report's `generatedAt`;
 * - one `entry` per evidence event, in log order: `fullUrl` `urn:uuid:<AuditEvent.id>` (the
 *   recorder's event ids are UUIDs), `resource` the AuditEvent parsed from its canonical bytes,
 *   and an extension `MERKLE_INCLUSION_URL` whose `valueString` is the JSON
 *   `{"index","treeSize","root","proof"}`: leaf `index` of the tree of `treeSize` leaves with hex
 *   `root`, `proof` the RFC 9162 §2.1.3 audit path in hex. To check an entry, hash
 *   RFC 8785 canonical JSON of `resource` (which is byte-identical to what was logged: the log
 *   stores events in that form) as SHA-256(0x00 ‖ bytes) and run the proof;
 * - the checkpoint (chain id, contract, tree size, root, transaction, block) as an extension
 *   `MERKLE_CHECKPOINT_URL` on `Bundle.meta`, its `valueString` the checkpoint's JSON. It is on
 *   `meta` and not on the Bundle itself because Bundle is a Resource, not a DomainResource, and so
 *   has no `extension` element in R4; `Meta` is an Element and may carry one.
 *
 * JSON in a `valueString` instead of typed sub-extensions keeps it simple, and avoids R4's 32-bit
 * `integer` for tree sizes and chain ids. When the report has no checkpoint (nothing anchored yet),
 * there is no checkpoint extension and no entry carries a proof.
 */
import { CustosError } from '../../errors.js';
import type { Report } from './report-model.js';

/** Identifier system and tag system of a Custos report. */
export const REPORT_SYSTEM = 'urn:custos:report';
/** The extension on `Bundle.entry` holding that entry's inclusion proof. */
export const MERKLE_INCLUSION_URL = 'https://custos.dev/fhir/StructureDefinition/merkle-inclusion';
/** The extension on `Bundle.meta` holding the checkpoint the proofs lead to. */
export const MERKLE_CHECKPOINT_URL = 'https://custos.dev/fhir/StructureDefinition/merkle-checkpoint';

/** What an entry's `merkle-inclusion` extension holds, as JSON. */
export interface BundleInclusion {
  readonly index: number;
  readonly treeSize: number;
  readonly root: string;
  readonly proof: readonly string[];
}

/**
 * The report's evidence as a FHIR R4 collection Bundle (see the module comment). Throws an
 * INTERNAL CustosError if an evidence event is not an AuditEvent with an id: the evidence comes
 * from our own log, so that is a bug, not bad input.
 */
export function renderBundle(report: Report): Record<string, unknown> {
  const { checkpoint } = report;
  const kind = report.scope.kind;
  const meta: Record<string, unknown> = {
    tag: [{ system: REPORT_SYSTEM, code: kind, display: report.header.title }],
  };
  if (checkpoint) meta['extension'] = [{ url: MERKLE_CHECKPOINT_URL, valueString: JSON.stringify(checkpoint) }];

  const entry = [...report.evidence]
    .sort((a, b) => a.index - b.index)
    .map((e) => {
      const resource = parseEvent(e.canonical, e.index);
      const item: Record<string, unknown> = { fullUrl: `urn:uuid:${resource['id'] as string}`, resource };
      if (checkpoint) {
        const inclusion: BundleInclusion = { index: e.index, treeSize: checkpoint.treeSize, root: checkpoint.root, proof: [...e.proof] };
        item['extension'] = [{ url: MERKLE_INCLUSION_URL, valueString: JSON.stringify(inclusion) }];
      }
      return item;
    });

  return {
    resourceType: 'Bundle',
    meta,
    identifier: { system: REPORT_SYSTEM, value: kind },
    type: 'collection',
    timestamp: report.generatedAt,
    entry,
  };
}

function parseEvent(canonical: string, index: number): Record<string, unknown> {
  let value: unknown;
  try {
    value = JSON.parse(canonical);
  } catch (cause) {
    throw new CustosError('INTERNAL', `The evidence for log entry ${index} is not JSON.`, { index }, { cause });
  }
  const event = value as Record<string, unknown> | null;
  if (typeof event !== 'object' || event === null || event['resourceType'] !== 'AuditEvent' || typeof event['id'] !== 'string' || event['id'] === '') {
    throw new CustosError('INTERNAL', `The evidence for log entry ${index} is not an AuditEvent with an id.`, { index });
  }
  return event;
}
