import { MemoryIndexSnapshotStore } from '../../../src/policy/index-snapshot.js';
import { indexSnapshotStoreConformance } from '../../support/index-snapshot-conformance.js';

indexSnapshotStoreConformance('memory', async () => ({ store: new MemoryIndexSnapshotStore(), close: async () => undefined }));
