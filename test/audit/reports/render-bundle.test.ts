/**
 * The FHIR Bundle form: an R4 collection of the report's AuditEvents, each with a proof that
 * checks against the checkpoint using nothing but the Bundle.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { isCustosError } from '../../../src/errors.js';
import { leafHash, verifyInclusion } from '../../../src/audit/merkle.js';
import { MERKLE_CHECKPOINT_URL, MERKLE_INCLUSION_URL, REPORT_SYSTEM, renderBundle, type BundleInclusion } from '../../../src/audit/reports/render-bundle.js';
import { canonicalJson } from '../../../src/fhir/canonical-json.js';
import { EVIDENCE_INDICES, fixtureReport, LOG } from './report-fixture.js';

type Extension = { url: string; valueString?: string };
type Entry = { fullUrl: string; resource: Record<string, unknown>; extension?: Extension[] };
type Bundle = {
  resourceType: string; type: string; timestamp: string; entry: Entry[];
  identifier: { system: string; value: string };
  meta: { tag: { system: string; code: string }[]; extension?: Extension[] };
};

const report = fixtureReport();
// Through JSON, as a receiver would get it.
const bundle = JSON.parse(JSON.stringify(renderBundle(report))) as Bundle;
const hex = (h: string) => Buffer.from(h.replace(/^0x/, ''), 'hex');

describe('renderBundle (FHIR R4 collection)', () => {
  it('is a collection Bundle stamped with the report time and named by the report kind', () => {
    assert.equal(bundle.resourceType, 'Bundle');
    assert.equal(bundle.type, 'collection');
    assert.equal(bundle.timestamp, report.generatedAt);
    assert.deepEqual(bundle.identifier, { system: REPORT_SYSTEM, value: 'disclosures' });
    assert.equal(bundle.meta.tag[0]!.system, REPORT_SYSTEM);
    assert.equal(bundle.meta.tag[0]!.code, 'disclosures');
    // R4 Bundle is a Resource, not a DomainResource: no Bundle.extension, no text, no contained.
    assert.equal('extension' in bundle, false);
  });

  it('holds one entry per evidence event, in log order, whose resource is that AuditEvent, at urn:uuid:<id>', () => {
    assert.equal(bundle.entry.length, EVIDENCE_INDICES.length);
    bundle.entry.forEach((entry, i) => {
      const index = EVIDENCE_INDICES[i]!;
      assert.deepEqual(entry.resource, JSON.parse(LOG[index]!));
      assert.equal(entry.resource['resourceType'], 'AuditEvent');
      assert.equal(entry.fullUrl, `urn:uuid:${entry.resource['id'] as string}`);
      assert.match(entry.fullUrl, /^urn:uuid:[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
    });
  });

  it('carries the checkpoint on Bundle.meta', () => {
    const ext = bundle.meta.extension?.find((e) => e.url === MERKLE_CHECKPOINT_URL);
    assert.deepEqual(JSON.parse(ext!.valueString!), report.checkpoint);
  });

  it('gives every entry an inclusion proof that verifies against the checkpoint root, from the Bundle alone', () => {
    const checkpoint = JSON.parse(bundle.meta.extension![0]!.valueString!) as { root: string; treeSize: number };
    for (const entry of bundle.entry) {
      const ext = entry.extension!.find((e) => e.url === MERKLE_INCLUSION_URL)!;
      const inclusion = JSON.parse(ext.valueString!) as BundleInclusion;
      assert.equal(inclusion.root, checkpoint.root);
      assert.equal(inclusion.treeSize, checkpoint.treeSize);
      // The log stores RFC 8785 canonical JSON, so re-canonicalising the resource gives the logged bytes.
      const leaf = leafHash(Buffer.from(canonicalJson(entry.resource), 'utf8'));
      const check = verifyInclusion({ index: inclusion.index, treeSize: inclusion.treeSize, leafHash: leaf, proof: inclusion.proof.map(hex), root: hex(inclusion.root) });
      assert.deepEqual(check, { ok: true }, `entry for log index ${inclusion.index}`);
    }
  });

  it('lets an edited resource fail its proof', () => {
    const entry = structuredClone(bundle.entry[1]!);
    entry.resource['outcome'] = '0';
    entry.resource['recorded'] = '2026-02-02T00:00:00.000Z';
    const inclusion = JSON.parse(entry.extension![0]!.valueString!) as BundleInclusion;
    const check = verifyInclusion({ index: inclusion.index, treeSize: inclusion.treeSize, leafHash: leafHash(Buffer.from(canonicalJson(entry.resource))), proof: inclusion.proof.map(hex), root: hex(inclusion.root) });
    assert.equal(check.ok, false);
  });

  it('has no checkpoint and no proofs when nothing is anchored', () => {
    const unanchored = renderBundle(fixtureReport({ checkpoint: null })) as unknown as Bundle;
    assert.equal(unanchored.meta.extension, undefined);
    assert.equal(unanchored.entry.length, EVIDENCE_INDICES.length);
    for (const entry of unanchored.entry) assert.equal(entry.extension, undefined);
    const empty = renderBundle(fixtureReport({ checkpoint: null, rows: [], evidence: [] })) as unknown as Bundle;
    assert.deepEqual(empty.entry, []);
  });

  it('refuses evidence that is not an AuditEvent with an id (INTERNAL)', () => {
    const bad = (canonical: string) => fixtureReport({ evidence: [{ index: 1, canonical, proof: [] }] });
    for (const canonical of ['not json', '{"resourceType":"Patient","id":"p"}', '{"resourceType":"AuditEvent"}', 'null']) {
      assert.throws(() => renderBundle(bad(canonical)), (e: unknown) => isCustosError(e) && e.code === 'INTERNAL' && /log entry 1/.test(e.message));
    }
  });
});
