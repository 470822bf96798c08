/**
 * Fixed bit positions that encode consent scopes on chain and in the consent index. A grant stores
 * resource types, actions and purposes as bitmasks (uint256), so the contract stays cheap and the
 * index answers a decision with a few integer operations.
 *
 * APPEND-ONLY: grants already on chain depend on these positions. Never reorder or remove.
 */

/** R4 resource types in the Patient compartment (https://hl7.org/fhir/R4/compartmentdefinition-patient.html), bit i = entry i. */
export const CONSENT_RESOURCE_TYPES: readonly string[] = Object.freeze([
  'Account', 'AdverseEvent', 'AllergyIntolerance', 'Appointment', 'AppointmentResponse',
  'AuditEvent', 'Basic', 'BodyStructure', 'CarePlan', 'CareTeam',
  'ChargeItem', 'Claim', 'ClaimResponse', 'ClinicalImpression', 'Communication',
  'CommunicationRequest', 'Composition', 'Condition', 'Consent', 'Coverage',
  'CoverageEligibilityRequest', 'CoverageEligibilityResponse', 'DetectedIssue', 'DeviceRequest', 'DeviceUseStatement',
  'DiagnosticReport', 'DocumentManifest', 'DocumentReference', 'Encounter', 'EnrollmentRequest',
  'EpisodeOfCare', 'ExplanationOfBenefit', 'FamilyMemberHistory', 'Flag', 'Goal',
  'Group', 'ImagingStudy', 'Immunization', 'ImmunizationEvaluation', 'ImmunizationRecommendation',
  'Invoice', 'List', 'MeasureReport', 'Media', 'MedicationAdministration',
  'MedicationDispense', 'MedicationRequest', 'MedicationStatement', 'MolecularSequence', 'NutritionOrder',
  'Observation', 'Patient', 'Person', 'Procedure', 'Provenance',
  'QuestionnaireResponse', 'RelatedPerson', 'RequestGroup', 'ResearchSubject', 'RiskAssessment',
  'Schedule', 'ServiceRequest', 'Specimen', 'SupplyDelivery', 'SupplyRequest',
  'Task', 'VisionPrescription',
]);

/** Actions a grant can allow. */
export const CONSENT_ACTIONS: readonly string[] = Object.freeze(['read', 'write']);

/**
 * Purposes of use, from the HL7 v3 PurposeOfUse value set
 * (https://terminology.hl7.org/ValueSet-v3-PurposeOfUse.html), bit i = entry i.
 */
export const CONSENT_PURPOSES: readonly string[] = Object.freeze([
  'TREAT', 'ETREAT', 'HPAYMT', 'HOPERAT', 'HRESCH', 'PUBHLTH', 'PATRQT', 'FAMRQT',
  'PWATRNY', 'SUPNWK', 'CAREMGT', 'CLINTRCH', 'COC', 'HMARKT', 'HDIRECT', 'HLEGAL',
  'HSYSADMIN', 'HQUALIMP', 'HCOMPL', 'HACCRED', 'HDISPUT', 'HINSUR', 'BTG', 'ERTREAT',
]);

/** Every bit of a list set: "all resource types", "any purpose". */
export function allBits(list: readonly string[]): bigint {
  return (1n << BigInt(list.length)) - 1n;
}

/** Encodes names as a bitmask; throws on an unknown name, naming it (it comes from user input). */
export function toMask(list: readonly string[], names: readonly string[], what: string): bigint {
  let mask = 0n;
  for (const name of names) {
    const index = list.indexOf(name);
    if (index < 0) throw new RangeError(`unknown ${what} "${name.slice(0, 64)}"`);
    mask |= 1n << BigInt(index);
  }
  return mask;
}

/** Decodes a bitmask back to names (unknown high bits are ignored: written by a newer version). */
export function fromMask(list: readonly string[], mask: bigint): string[] {
  return list.filter((_, index) => (mask >> BigInt(index)) & 1n);
}

/** The bit of one name, or -1 when the name is not encodable (e.g. a type outside the compartment). */
export function bitOf(list: readonly string[], name: string): number {
  return list.indexOf(name);
}
