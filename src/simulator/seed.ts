/**
 * The default data set: the documented seed example (Development, Production, EmployeeBackoffice version
 * b3d2ef6b…, first plan dce64ad4…) plus enough around it for realistic behaviour:
 * - a Quality environment between them;
 * - HRCore, a producer consumed by EmployeeBackoffice and PayrollPortal. PayrollPortal 1.2 needs HRCore 1.2,
 *   Production runs HRCore 1.0: deploying PayrollPortal alone to Production gives a "Producer Element
 *   Missing" conflict; deploying it together with HRCore 1.2 does not;
 * - ExpenseTracker, modified in Development since its last tag 2.1 (IsModified=true);
 * - DocumentArchive, with an extension whose logical database is mapped in Quality but not in Production
 *   (a Production deployment stops with Info=needs_configuration_or_confirmation);
 * - LegacyIntranet, blocked for Production, where it runs in the second zone ("Internal");
 * - a default "Global" zone per environment (every other app runs there), and a second zone in Production.
 */
import { parseSimData, type SimData, type SimDataInput } from './data';

export const SEED_KEYS = {
  development: 'f3582e43-43c7-4bb4-8cbb-d9f6cbcbd35e',
  quality: '0b9a6f3e-8d35-4c8e-9a51-7c1e2b4d6f80',
  production: '849515f2-b4ff-4aca-a9d6-9407bea655f4',
  productionGlobalZone: '9f3e2eac-3b5a-4a7c-9d9f-4c8eaf2b6d35',
  productionInternalZone: 'a04f3fbd-4c6b-4b8d-8eaf-5d9fb03c7e46',
  employeeBackoffice: 'c9a7a82e-0eee-4a3d-8e22-2a19c69c766f',
  employeeBackoffice10: 'b3d2ef6b-e5c5-4c7e-851e-0547f7bd634c',
  hrCore: '3e8f5a1c-7b2d-4c9e-a6f0-1d2b3c4e5f60',
  hrCore12: '3e8f5a1c-0012-4c9e-a6f0-1d2b3c4e5f60',
  payrollPortal: '6a1d2c3b-4e5f-4a7b-8c9d-0e1f2a3b4c5d',
  payrollPortal12: '6a1d2c3b-0012-4a7b-8c9d-0e1f2a3b4c5d',
  expenseTracker: '7b2e3d4c-5f6a-4b8c-9d0e-1f2a3b4c5d6e',
  expenseTracker21: '7b2e3d4c-0021-4b8c-9d0e-1f2a3b4c5d6e',
  documentArchive: '8c3f4e5d-6a7b-4c9d-8e1f-2a3b4c5d6e7f',
  documentArchive11: '8c3f4e5d-0011-4c9d-8e1f-2a3b4c5d6e7f',
  legacyIntranet: '9d4a5f6e-7b8c-4dae-9f2a-3b4c5d6e7f80',
  legacyIntranet35: '9d4a5f6e-0035-4dae-9f2a-3b4c5d6e7f80',
  firstDeployment: 'dce64ad4-2ddf-4e54-a639-3524bcd5b9a1',
} as const;

const K = SEED_KEYS;
const DEV = K.development;
const QA = K.quality;
const PROD = K.production;

/** Version key `<app prefix>-00MM-…` for label "M.m" (readable and stable). */
const vkey = (appKey: string, label: string): string => {
  const digits = label.replace(/\D/g, '').padStart(4, '0').slice(-4);
  return `${appKey.slice(0, 8)}-${digits}${appKey.slice(13)}`;
};

const versions = (
  appKey: string,
  list: {
    v: string;
    on: string;
    log: string;
    key?: string;
    requires?: { application: string; minVersion: string }[];
  }[],
): SimDataInput['applications'][number]['versions'] =>
  list.map((x) => ({
    key: x.key ?? vkey(appKey, x.v),
    version: x.v,
    changeLog: x.log,
    createdOn: `${x.on}T09:30:00.000Z`,
    createdBy: 'Ana Lopes',
    environment: DEV,
    requires: x.requires ?? [],
  }));

const hr = (min: string): { application: string; minVersion: string }[] => [{ application: K.hrCore, minVersion: min }];

export const SEED_INPUT: SimDataInput = {
  serviceAccount: { name: 'Deploy Service Account', username: 'sa_lifetime_deploy' },
  firstDeploymentKey: K.firstDeployment,
  environments: [
    {
      key: DEV,
      name: 'Development',
      order: 0,
      type: 'Development',
      hostName: 'dev-env.company.com',
      zones: [{ key: '5d1c0c8a-1f3e-4e5a-9b7d-2a6c8e0f4b13', name: 'Global', isDefault: true }],
      dbConnections: ['ArchiveDevDB'],
      dbMappings: [
        {
          extensionKey: '8c3f4e5d-e001-4c9d-8e1f-2a3b4c5d6e7f',
          logicalDatabase: 'ArchiveDB',
          databaseName: 'ArchiveDevDB',
        },
      ],
    },
    {
      key: QA,
      name: 'Quality',
      order: 1,
      type: 'Test',
      hostName: 'qa-env.company.com',
      zones: [{ key: '7e2d1d9b-2a4f-4f6b-8c8e-3b7d9f1a5c24', name: 'Global', isDefault: true }],
      dbConnections: ['ArchiveQaDB'],
      dbMappings: [
        {
          extensionKey: '8c3f4e5d-e001-4c9d-8e1f-2a3b4c5d6e7f',
          logicalDatabase: 'ArchiveDB',
          databaseName: 'ArchiveQaDB',
        },
      ],
    },
    {
      key: PROD,
      name: 'Production',
      order: 2,
      type: 'Production',
      hostName: 'prod-env.company.com',
      numberOfFrontEnds: 2,
      zones: [
        { key: K.productionGlobalZone, name: 'Global', isDefault: true },
        {
          key: K.productionInternalZone,
          name: 'Internal',
          technology: { key: 'b15a4ace-5d7c-4c9e-9fb0-6eaac14d8f57', name: 'Classic' },
        },
      ],
      dbConnections: ['ArchiveProdDB'],
    },
  ],
  applications: [
    {
      key: K.hrCore,
      name: 'HRCore',
      team: 'HR Platform',
      description: 'Core HR entities and services (producer).',
      kind: 'Service',
      modules: [
        { key: '3e8f5a1c-e001-4c9e-a6f0-1d2b3c4e5f60', name: 'HRCore_CS' },
        { key: '3e8f5a1c-e002-4c9e-a6f0-1d2b3c4e5f60', name: 'HRCore_API' },
      ],
      versions: versions(K.hrCore, [
        { v: '1.0', on: '2025-03-03', log: 'Employee and department entities' },
        { v: '1.1', on: '2025-05-12', log: 'Adds GetEmployeeContracts' },
        { v: '1.2', on: '2025-09-08', log: 'Adds payroll periods and the SalaryBand entity' },
      ]),
      environments: [
        { environment: DEV, version: K.hrCore12 },
        { environment: QA, version: K.hrCore12 },
        { environment: PROD, version: vkey(K.hrCore, '1.0') },
      ],
    },
    {
      key: K.employeeBackoffice,
      name: 'EmployeeBackoffice',
      team: 'HR Apps',
      description: 'Back office for employee records.',
      modules: [
        { key: 'c9a7a82e-e001-4a3d-8e22-2a19c69c766f', name: 'EmployeeBackoffice' },
        { key: 'c9a7a82e-e002-4a3d-8e22-2a19c69c766f', name: 'EmployeeBackoffice_Theme' },
      ],
      versions: versions(K.employeeBackoffice, [
        { v: '0.8', on: '2025-04-14', log: 'Pilot', requires: hr('1.0') },
        { v: '0.9', on: '2025-06-02', log: 'Employee search', requires: hr('1.0') },
        { v: '1.0', on: '2025-10-06', log: 'Go live 1.0', requires: hr('1.0'), key: K.employeeBackoffice10 },
      ]),
      environments: [
        { environment: DEV, version: K.employeeBackoffice10 },
        { environment: QA, version: K.employeeBackoffice10 },
        { environment: PROD, version: vkey(K.employeeBackoffice, '0.9') },
      ],
    },
    {
      key: K.payrollPortal,
      name: 'PayrollPortal',
      team: 'HR Apps',
      description: 'Payslips and payroll periods for employees.',
      modules: [
        { key: '6a1d2c3b-e001-4a7b-8c9d-0e1f2a3b4c5d', name: 'PayrollPortal' },
        { key: '6a1d2c3b-e002-4a7b-8c9d-0e1f2a3b4c5d', name: 'PayrollPortal_CW' },
      ],
      versions: versions(K.payrollPortal, [
        { v: '1.0', on: '2025-03-17', log: 'Payslips', requires: hr('1.0') },
        { v: '1.1', on: '2025-05-26', log: 'Contract view', requires: hr('1.1') },
        { v: '1.2', on: '2025-09-22', log: 'Payroll periods', requires: hr('1.2') },
      ]),
      environments: [
        { environment: DEV, version: K.payrollPortal12 },
        { environment: QA, version: vkey(K.payrollPortal, '1.1') },
        { environment: PROD, version: vkey(K.payrollPortal, '1.0') },
      ],
    },
    {
      key: K.expenseTracker,
      name: 'ExpenseTracker',
      team: 'Finance Apps',
      description: 'Expense claims (modified in Development since its last tag).',
      modules: [{ key: '7b2e3d4c-e001-4b8c-9d0e-1f2a3b4c5d6e', name: 'ExpenseTracker' }],
      versions: versions(K.expenseTracker, [
        { v: '2.0', on: '2025-02-10', log: 'Receipts upload' },
        { v: '2.1', on: '2025-08-18', log: 'Approval workflow' },
      ]),
      environments: [
        { environment: DEV, version: K.expenseTracker21, isModified: true },
        { environment: QA, version: K.expenseTracker21 },
        { environment: PROD, version: vkey(K.expenseTracker, '2.0') },
      ],
    },
    {
      key: K.documentArchive,
      name: 'DocumentArchive',
      team: 'Records',
      description: 'Document storage; its extension needs a database mapping in each environment.',
      modules: [
        { key: '8c3f4e5d-e002-4c9d-8e1f-2a3b4c5d6e7f', name: 'DocumentArchive' },
        {
          key: '8c3f4e5d-e001-4c9d-8e1f-2a3b4c5d6e7f',
          name: 'ArchiveStorage',
          kind: 'Extension',
          logicalDatabases: ['ArchiveDB'],
        },
      ],
      versions: versions(K.documentArchive, [
        { v: '1.0', on: '2025-06-30', log: 'First release' },
        { v: '1.1', on: '2025-09-29', log: 'Retention rules' },
      ]),
      environments: [
        { environment: DEV, version: K.documentArchive11 },
        { environment: QA, version: K.documentArchive11 },
      ],
    },
    {
      key: K.legacyIntranet,
      name: 'LegacyIntranet',
      team: 'Internal Tools',
      description: 'Old intranet, being decommissioned.',
      modules: [{ key: '9d4a5f6e-e001-4dae-9f2a-3b4c5d6e7f80', name: 'LegacyIntranet' }],
      versions: versions(K.legacyIntranet, [
        { v: '3.4', on: '2024-11-04', log: 'Security fixes' },
        { v: '3.5', on: '2025-01-20', log: 'Last feature release' },
      ]),
      environments: [
        { environment: DEV, version: K.legacyIntranet35 },
        { environment: QA, version: K.legacyIntranet35 },
        { environment: PROD, version: vkey(K.legacyIntranet, '3.4'), zone: K.productionInternalZone },
      ],
      blockedIn: [{ environment: PROD, reason: 'Being decommissioned: deployments to Production are blocked.' }],
    },
  ],
};

/** The parsed default data set (a fresh object per call). */
export const seedData = (): SimData => parseSimData(SEED_INPUT, 'seed');
