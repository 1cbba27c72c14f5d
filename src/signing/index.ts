/** Signed decisions: the allowed-approvers file, the signed statements, signing (CLI) and verification (worker). */
export {
  AllowedSignersError,
  KEY_TYPES,
  loadAllowedSigners,
  parseAllowedSigners,
  validateAllowedSigners,
  type AllowedSigner,
  type AllowedSigners,
} from './allowed-signers';
export { decisionStatement, requestStatement, type DecisionStatement, type RequestStatement } from './statement';
export {
  checkKeyFile,
  SigningError,
  signDecision,
  signRequest,
  signStatement,
  validity,
  type SigningKey,
} from './sign';
export { SshKeygenUnavailableError } from './ssh-keygen';
export {
  Verifier,
  VerifyDecisionInput,
  VerifyRequestInput,
  type SigningLogger,
  type Verification,
  type VerifierOptions,
} from './verify';
