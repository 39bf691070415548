/** Unit tests sit beside the code; end-to-end tests under test/ start a network. */
const tsJest = ['ts-jest', { tsconfig: 'tsconfig.test.json' }];

module.exports = {
  // End-to-end tests wait for blocks and cycles; jest applies the timeout globally, not per project.
  testTimeout: 120000,
  projects: [
    {
      displayName: 'unit',
      testEnvironment: 'node',
      transform: { '^.+\\.ts$': tsJest },
      testMatch: ['<rootDir>/{chaincode,network/fabric-config,network/devnet,network/backends,orchestrator}/src/**/*.test.ts', '<rootDir>/scripts/*.test.ts'],
    },
    {
      displayName: 'e2e',
      testEnvironment: 'node',
      transform: { '^.+\\.ts$': tsJest },
      testMatch: ['<rootDir>/test/**/*.test.ts'],
    },
  ],
};
