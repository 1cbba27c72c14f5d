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
export {
  decisionStatement,
  releaseStatement,
  requestStatement,
  type DecisionStatement,
  type ReleaseStatement,
  type RequestStatement,
} from './statement';
export {
  checkKeyFile,
  SigningError,
  signDecision,
  signReleaseRequest,
  signRequest,
  signStatement,
  validity,
  type SigningKey,
} from './sign';
export { SshKeygenUnavailableError } from './ssh-keygen';
export {
  Verifier,
  VerifyDecisionInput,
  VerifyReleaseRequestInput,
  VerifyRequestInput,
  type SigningLogger,
  type Verification,
  type VerifierOptions,
} from './verify';
