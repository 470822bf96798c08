/**
 * Builders for the people and places of the synthetic data set: Organization, Practitioner,
 * Patient and RelatedPerson. Every value comes from the caller's seeded PRNG.
 *
 * Patients are deliberately rich (identifiers, two names, telecom, address, contact,
 * communication, US Core race and birth sex extensions, a narrative) so that one Patient is about
 * 2 KB of JSON, the size a "read by id" benchmark wants.
 */
import type { Organization, Patient, Practitioner, RelatedPerson } from '@medplum/fhirtypes';
import {
  CITIES, FAMILY, GIVEN_FEMALE, GIVEN_MALE, LANGUAGES, MARITAL_STATUSES,
  PRACTITIONER_SPECIALTIES, RACES, RELATIONSHIPS, STREETS,
} from './name-tables.js';
import type { Prng } from './prng.js';
import { MRN_SYSTEM, medicalRecordNumber, organizationId, patientId, practitionerId, relatedPersonId } from './sample-ids.js';

const V2_0203 = 'http://terminology.hl7.org/CodeSystem/v2-0203';
const US_CORE = 'http://hl7.org/fhir/us/core/StructureDefinition';
const XHTML = 'http://www.w3.org/1999/xhtml';

export interface PersonName {
  readonly given: string;
  readonly family: string;
  readonly gender: 'female' | 'male';
}

export function randomPersonName(rng: Prng): PersonName {
  const gender = rng.chance(0.5) ? 'female' : 'male';
  return { gender, given: rng.pick(gender === 'female' ? GIVEN_FEMALE : GIVEN_MALE), family: rng.pick(FAMILY) };
}

const phone = (rng: Prng): string => `(${rng.pick(['413', '508', '617', '978'])}) 555-01${String(rng.int(0, 99)).padStart(2, '0')}`;

/** A date between two years (inclusive), as YYYY-MM-DD. */
export function randomDate(rng: Prng, fromYear: number, toYear: number): string {
  const year = rng.int(fromYear, toYear);
  const month = rng.int(1, 12);
  const day = rng.int(1, 28);
  return `${year}-${String(month).padStart(2, '0')}-${String(day).padStart(2, '0')}`;
}

function randomAddress(rng: Prng, withPeriod: boolean): NonNullable<Patient['address']>[number] {
  const place = rng.pick(CITIES);
  const line = [`${rng.int(1, 2400)} ${rng.pick(STREETS)}`];
  if (rng.chance(0.3)) line.push(`Apt ${rng.int(1, 40)}${rng.pick(['A', 'B', 'C'])}`);
  return {
    use: 'home', type: 'both', line, city: place.city, district: place.district, state: place.state,
    postalCode: `${place.postalPrefix}${String(rng.int(0, 99)).padStart(2, '0')}`, country: 'US',
    ...(withPeriod ? { period: { start: randomDate(rng, 2005, 2018) } } : {}),
  };
}

const ORGANIZATION_NAMES = [
  { name: 'Riverside General Hospital', type: 'prov', display: 'Healthcare Provider' },
  { name: 'Maple Street Family Clinic', type: 'prov', display: 'Healthcare Provider' },
  { name: 'Commonwealth Clinical Laboratory', type: 'other', display: 'Other' },
] as const;

export function buildOrganization(n: number, rng: Prng): Organization {
  const entry = ORGANIZATION_NAMES[(n - 1) % ORGANIZATION_NAMES.length] ?? ORGANIZATION_NAMES[0];
  return {
    resourceType: 'Organization',
    id: organizationId(n),
    identifier: [{ system: 'http://hl7.org/fhir/sid/us-npi', value: `99000000${String(n).padStart(2, '0')}` }],
    active: true,
    type: [{ coding: [{ system: 'http://terminology.hl7.org/CodeSystem/organization-type', code: entry.type, display: entry.display }] }],
    name: entry.name,
    telecom: [{ system: 'phone', value: phone(rng), use: 'work' }],
    address: [{ ...randomAddress(rng, false), use: 'work' }],
  };
}

export function buildPractitioner(n: number, rng: Prng, organizationCount: number): Practitioner {
  const person = randomPersonName(rng);
  const specialty = rng.pick(PRACTITIONER_SPECIALTIES);
  return {
    resourceType: 'Practitioner',
    id: practitionerId(n),
    identifier: [{ system: 'http://hl7.org/fhir/sid/us-npi', value: `99100000${String(n).padStart(2, '0')}` }],
    active: true,
    name: [{ use: 'official', family: person.family, given: [person.given], prefix: ['Dr.'] }],
    telecom: [
      { system: 'phone', value: phone(rng), use: 'work' },
      { system: 'email', value: `${person.given}.${person.family}@riverside.example.org`.toLowerCase().replace(/ /g, ''), use: 'work' },
    ],
    gender: person.gender,
    qualification: [{
      code: { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/v2-0360', code: 'MD', display: 'Doctor of Medicine' }] },
      issuer: { reference: `Organization/${organizationId(1 + (n % organizationCount))}` },
    }],
    communication: [{ coding: [{ system: 'urn:ietf:bcp:47', code: 'en-US', display: 'English (United States)' }] }],
    extension: [{
      url: 'http://example.org/fhir/StructureDefinition/practitioner-specialty',
      valueCodeableConcept: { coding: [{ system: 'http://snomed.info/sct', code: specialty.code, display: specialty.display }] },
    }],
  };
}

/** Practitioner's display name, for Reference.display. */
export const practitionerDisplay = (p: Practitioner): string => `Dr. ${p.name?.[0]?.given?.[0] ?? ''} ${p.name?.[0]?.family ?? ''}`;

export interface PatientLinks {
  readonly generalPractitioner: Practitioner;
  readonly organization: Organization;
}

export function buildPatient(n: number, rng: Prng, links: PatientLinks): Patient {
  const person = randomPersonName(rng);
  const middle = rng.pick(person.gender === 'female' ? GIVEN_FEMALE : GIVEN_MALE);
  const birthDate = randomDate(rng, 1938, 2012);
  const mrn = medicalRecordNumber(n);
  const race = rng.pick(RACES);
  const language = rng.chance(0.7) ? LANGUAGES[0] ?? rng.pick(LANGUAGES) : rng.pick(LANGUAGES);
  const marital = rng.pick(MARITAL_STATUSES);
  const contactName = randomPersonName(rng);
  const relationship = rng.pick(RELATIONSHIPS);
  const email = `${person.given}.${person.family}${rng.int(1, 99)}@mail.example.com`.toLowerCase().replace(/ /g, '');
  const ssn = `999-${String(rng.int(10, 99))}-${String(rng.int(1000, 9999))}`;
  const names: NonNullable<Patient['name']> = [{
    use: 'official', family: person.family, given: [person.given, middle],
    prefix: [person.gender === 'female' ? 'Ms.' : 'Mr.'],
  }];
  if (rng.chance(0.5)) names.push({ use: 'usual', given: [person.given.slice(0, 3)] });
  return {
    resourceType: 'Patient',
    id: patientId(n),
    text: {
      status: 'generated',
      div: `<div xmlns="${XHTML}"><p>${person.given} ${middle} ${person.family}, ${person.gender}, born ${birthDate}. MRN ${mrn}.</p></div>`,
    },
    extension: [
      {
        url: `${US_CORE}/us-core-race`,
        extension: [
          { url: 'ombCategory', valueCoding: { system: 'urn:oid:2.16.840.1.113883.6.238', code: race.code, display: race.display } },
          { url: 'text', valueString: race.display },
        ],
      },
      { url: `${US_CORE}/us-core-birthsex`, valueCode: person.gender === 'female' ? 'F' : 'M' },
    ],
    identifier: [
      {
        use: 'usual',
        type: { coding: [{ system: V2_0203, code: 'MR', display: 'Medical Record Number' }] },
        system: MRN_SYSTEM, value: mrn,
        assigner: { reference: `Organization/${links.organization.id}`, display: links.organization.name },
      },
      {
        use: 'official',
        system: 'http://hl7.org/fhir/sid/us-ssn', value: ssn,
      },
    ],
    active: true,
    name: names,
    telecom: [
      { system: 'phone', value: phone(rng), use: 'home' },
      { system: 'phone', value: phone(rng), use: 'mobile', rank: 1 },
      { system: 'email', value: email, use: 'home' },
    ],
    gender: person.gender,
    birthDate,
    address: [randomAddress(rng, true)],
    maritalStatus: {
      coding: [{ system: 'http://terminology.hl7.org/CodeSystem/v3-MaritalStatus', code: marital.code, display: marital.display }],
      text: marital.display,
    },
    contact: [{
      relationship: [
        { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/v2-0131', code: 'C', display: 'Emergency Contact' }], text: relationship.display },
      ],
      name: { use: 'official', family: contactName.family, given: [contactName.given] },
      telecom: [{ system: 'phone', value: phone(rng), use: 'mobile' }],
      gender: contactName.gender,
    }],
    communication: [{
      language: { coding: [{ system: 'urn:ietf:bcp:47', code: language.code, display: language.display }], text: language.display },
      preferred: true,
    }],
    generalPractitioner: [{
      reference: `Practitioner/${links.generalPractitioner.id}`, display: practitionerDisplay(links.generalPractitioner),
    }],
    managingOrganization: { reference: `Organization/${links.organization.id}`, display: links.organization.name },
  };
}

/**
 * A RelatedPerson of `patient`. When `sameHumanAs` is given, the related person is that other
 * patient (e.g. a spouse who is also a patient here): a cross-patient link.
 */
export function buildRelatedPerson(n: number, patient: Patient, rng: Prng, sameHumanAs?: Patient): RelatedPerson {
  const official = sameHumanAs?.name?.[0];
  const person = randomPersonName(rng);
  const relationship = sameHumanAs ? { code: 'SPS', display: 'spouse' } : rng.pick(RELATIONSHIPS);
  return {
    resourceType: 'RelatedPerson',
    id: relatedPersonId(n),
    active: true,
    patient: { reference: `Patient/${patient.id}` },
    relationship: [{
      coding: [{ system: 'http://terminology.hl7.org/CodeSystem/v3-RoleCode', code: relationship.code, display: relationship.display }],
    }],
    name: [official ? { use: 'official', family: official.family, given: official.given } : {
      use: 'official', family: person.family, given: [person.given],
    }],
    telecom: [{ system: 'phone', value: sameHumanAs?.telecom?.[1]?.value ?? phone(rng), use: 'mobile' }],
    gender: sameHumanAs?.gender ?? person.gender,
    ...(sameHumanAs?.birthDate ? { birthDate: sameHumanAs.birthDate } : {}),
  };
}
