// The EICAR anti-virus test file: harmless bytes every virus scanner reports, to check that a server scans uploads.

/**
 * The 68 bytes of the EICAR standard test file (eicar.org). Written in two halves so that this source file is not
 * itself reported by a scanner on the developer's machine.
 */
export const EICAR_TEST_FILE = `${"X5O!P%@AP[4\\PZX54(P^)7CC)7}$"}${"EICAR-STANDARD-ANTIVIRUS-TEST-FILE!$H+H*"}`;
