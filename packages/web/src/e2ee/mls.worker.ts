// The Web Worker that does the app's MLS work (docs/e2ee.md "Web app"): it hosts the SDK's TsMlsProvider and answers
// the page's PortMlsProvider, so that commits, joins and decryption never block the page.

import { type MlsPort, serveMlsProvider, TsMlsProvider } from "@parley/client";

serveMlsProvider(self as unknown as MlsPort, (check) => TsMlsProvider.create(check));
