/**
 * Word lists for synthetic demographics. Invented people: the combinations are random, the
 * phone numbers use the reserved 555-01xx range and the SSN-like identifiers the never-issued
 * 999 area, so nothing here identifies a real person.
 */

export const GIVEN_FEMALE: readonly string[] = [
  'Amelia', 'Beatriz', 'Chloe', 'Dana', 'Elena', 'Fatima', 'Grace', 'Hana', 'Ines', 'Julia',
  'Keiko', 'Laura', 'Maya', 'Nadia', 'Olivia', 'Priya', 'Rosa', 'Sofia', 'Tamara', 'Uma',
  'Valeria', 'Wen', 'Yara', 'Zoe', 'Abigail', 'Camila', 'Daniela', 'Emma', 'Ingrid', 'Lucia',
];

export const GIVEN_MALE: readonly string[] = [
  'Aaron', 'Bruno', 'Carlos', 'Daniel', 'Elias', 'Felix', 'Gabriel', 'Hugo', 'Ivan', 'James',
  'Kenji', 'Liam', 'Mateo', 'Noah', 'Omar', 'Pablo', 'Rafael', 'Samuel', 'Tomas', 'Victor',
  'William', 'Xavier', 'Yusuf', 'Adam', 'Benjamin', 'David', 'Ethan', 'Jonas', 'Marco', 'Oscar',
];

export const FAMILY: readonly string[] = [
  'Anderson', 'Brooks', 'Castillo', 'Dubois', 'Eriksen', 'Fernandes', 'Garcia', 'Hoffmann',
  'Ibrahim', 'Jensen', 'Kowalski', 'Lindqvist', 'Morales', 'Nakamura', 'Okafor', 'Petrov',
  'Quinn', 'Rossi', 'Schmidt', 'Tanaka', 'Usman', 'Van Dijk', 'Walsh', 'Xu', 'Yilmaz', 'Zhang',
  'Nguyen', 'Haddad', 'Moreau', 'Silva', 'Novak', 'Kim', 'Patel', 'Olsen', 'Reyes', 'Kaya',
];

export const STREETS: readonly string[] = [
  'Maple Avenue', 'Oak Street', 'Cedar Lane', 'Birch Road', 'Elm Court', 'Willow Way',
  'Harbor View Drive', 'Mill Street', 'Orchard Place', 'Lakeside Boulevard', 'Pine Ridge Road',
  'Chestnut Terrace', 'Riverside Drive', 'Meadow Lane', 'Summit Avenue', 'Hawthorn Close',
];

export interface CityEntry {
  readonly city: string;
  readonly state: string;
  readonly postalPrefix: string;
  readonly district: string;
}

export const CITIES: readonly CityEntry[] = [
  { city: 'Springfield', state: 'MA', postalPrefix: '011', district: 'Hampden County' },
  { city: 'Worcester', state: 'MA', postalPrefix: '016', district: 'Worcester County' },
  { city: 'Cambridge', state: 'MA', postalPrefix: '021', district: 'Middlesex County' },
  { city: 'Lowell', state: 'MA', postalPrefix: '018', district: 'Middlesex County' },
  { city: 'New Bedford', state: 'MA', postalPrefix: '027', district: 'Bristol County' },
  { city: 'Pittsfield', state: 'MA', postalPrefix: '012', district: 'Berkshire County' },
];

export interface LanguageEntry {
  readonly code: string;
  readonly display: string;
}

export const LANGUAGES: readonly LanguageEntry[] = [
  { code: 'en-US', display: 'English (United States)' },
  { code: 'es', display: 'Spanish' },
  { code: 'pt', display: 'Portuguese' },
  { code: 'zh', display: 'Chinese' },
  { code: 'vi', display: 'Vietnamese' },
  { code: 'fr', display: 'French' },
];

export interface CodedEntry {
  readonly code: string;
  readonly display: string;
}

/** http://terminology.hl7.org/CodeSystem/v3-MaritalStatus */
export const MARITAL_STATUSES: readonly CodedEntry[] = [
  { code: 'M', display: 'Married' },
  { code: 'S', display: 'Never Married' },
  { code: 'D', display: 'Divorced' },
  { code: 'W', display: 'Widowed' },
];

/** http://terminology.hl7.org/CodeSystem/v3-RoleCode, for emergency contacts and RelatedPerson */
export const RELATIONSHIPS: readonly CodedEntry[] = [
  { code: 'SPS', display: 'spouse' },
  { code: 'MTH', display: 'mother' },
  { code: 'FTH', display: 'father' },
  { code: 'SIB', display: 'sibling' },
  { code: 'CHILD', display: 'child' },
  { code: 'FRND', display: 'unrelated friend' },
];

/** CDC race codes (urn:oid:2.16.840.1.113883.6.238), as US Core uses them. */
export const RACES: readonly CodedEntry[] = [
  { code: '2106-3', display: 'White' },
  { code: '2054-5', display: 'Black or African American' },
  { code: '2028-9', display: 'Asian' },
  { code: '1002-5', display: 'American Indian or Alaska Native' },
  { code: '2131-1', display: 'Other Race' },
];

export const PRACTITIONER_SPECIALTIES: readonly CodedEntry[] = [
  { code: '419772000', display: 'Family practice' },
  { code: '394802001', display: 'General medicine' },
  { code: '394579002', display: 'Cardiology' },
  { code: '394583002', display: 'Endocrinology' },
  { code: '419192003', display: 'Internal medicine' },
  { code: '773568002', display: 'Emergency medicine' },
];
