// The DNS lookup of every request the server makes to a host a user named (push endpoints, link previews): it refuses
// a host that resolves to a private address (DNS rebinding past the URL check of push-endpoint.ts), so the connection
// is never opened.

import { lookup as dnsLookup, type LookupAddress } from "node:dns";
import { isPrivateAddress } from "./push-endpoint.js";

/** The `code` of the error a refused lookup fails the request with. */
export const PRIVATE_ADDRESS_CODE = "EPRIVATEADDRESS";

type LookupCallback = (err: NodeJS.ErrnoException | null, address: string | LookupAddress[], family?: number) => void;

/** A `lookup` for node:http(s) requests that fails with PRIVATE_ADDRESS_CODE when any address is private. */
export function publicOnlyLookup(allowPrivate: boolean) {
  return (hostname: string, options: object, callback: LookupCallback): void => {
    dnsLookup(hostname, { ...options, all: true }, (err, addresses) => {
      if (err) return callback(err, []);
      const list = addresses as LookupAddress[];
      if (!allowPrivate && list.some((a) => isPrivateAddress(a.address))) {
        const e: NodeJS.ErrnoException = new Error(`${hostname} resolves to a private address`);
        e.code = PRIVATE_ADDRESS_CODE;
        return callback(e, []);
      }
      if ((options as { all?: boolean }).all === true) return callback(null, list);
      return callback(null, list[0]!.address, list[0]!.family);
    });
  };
}
