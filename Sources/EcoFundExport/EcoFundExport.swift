import EcoFundCore

/// The audit export writer and the offline verifier arrive with the audit issue; the target exists so the
/// module graph of DESIGN.md is in place (Export depends on Core only).
public enum EcoFundExport {}
