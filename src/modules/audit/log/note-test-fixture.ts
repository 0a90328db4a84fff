// Published vectors of golang.org/x/mod/sumdb/note (note.go package docs and note_test.go), the
// reference implementation of C2SP signed-note: signing them byte for byte proves compatibility.
import { decodeBase64 } from './base64.ts';

export const PETER_SKEY = 'PRIVATE+KEY+PeterNeumann+c74f20a3+AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDFz';
export const PETER_VKEY = 'PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW';
export const ENOCH_VKEY = 'EnochRoot+af0cfe78+ATtqJ7zOtqQtYqOo0CpvDXNlMhV3HeJDpjrASKGLWdop';
export const NOTE_TEXT = "If you think cryptography is the answer to your problem,\nthen you don't know what your problem is.\n";
export const PETER_SIG = '\u2014 PeterNeumann x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM=\n';
export const ENOCH_SIG = '\u2014 EnochRoot rwz+eBzmZa0SO3NbfRGzPCpDckykFXSdeX+MNtCOXm2/5n2tiOHp+vAF1aGrQ5ovTG01oOTGwnWLox33WWd1RvMc+QQ=\n';

/** The 32-byte Ed25519 seed inside `PETER_SKEY` (`PRIVATE+KEY+<name>+<id>+base64(0x01 || seed)`). */
export function peterSeed(): Uint8Array {
  const key = decodeBase64(PETER_SKEY.split('+').slice(4).join('+'));
  if (key?.[0] !== 0x01 || key.length !== 33) throw new Error('PETER_SKEY is not an Ed25519 signer key');
  return key.subarray(1);
}
