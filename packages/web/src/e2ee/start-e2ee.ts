// Loaded on first use (a lazy chunk): the SDK's E2ee with ts-mls, which only a signed-in device needs, started with
// MLS in a Web Worker (mls.worker.ts) behind a PortMlsProvider and the state in IndexedDB.

import { E2ee, IndexedDbMlsStateStore, type MlsPort, type ParleyClient, PortMlsProvider, TsMlsProvider } from "@parley/client";

export async function startE2ee(client: ParleyClient, factory: IDBFactory, stateName: string, worker: Worker): Promise<E2ee> {
  return E2ee.start(client, {
    store: new IndexedDbMlsStateStore(factory, stateName),
    // The page's own TsMlsProvider only decodes states (epoch, members); every cryptographic call goes to the worker.
    provider: async (check) => PortMlsProvider.connect(worker as unknown as MlsPort, check, await TsMlsProvider.create(check)),
  });
}
