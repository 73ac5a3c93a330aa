// One region's Durable Task Scheduler: the scheduler, the app's task hub, a retention policy
// that purges finished orchestrations as soon as the service allows, and the app identity's
// data role. The Durable backend chosen by `durableBackend` in main.bicep (the default).
// The app reaches it with its system-assigned identity: no key or secret exists.

@description('UK region of the scheduler (the app\'s own).')
@allowed([
  'uksouth'
  'ukwest'
])
param location string

@description('Scheduler name (letters, digits and hyphens, 3-64 characters).')
@minLength(3)
@maxLength(64)
param name string

@description('Task hub name: the app\'s DURABLE_TASK_HUB_NAME.')
@minLength(3)
@maxLength(64)
param taskHubName string

@description('Object id of the app system-assigned identity.')
param principalId string

@description('Tags for every resource.')
param tags object

// The SKUs (learn.microsoft.com/azure/azure-functions/durable/durable-task-scheduler/
// durable-task-scheduler-dedicated-sku, checked 2026-12-08): Dedicated is billed per capacity
// unit (CU), each good for up to 2,000 actions a second and 50 GB of orchestration data, 1 to 3
// CUs, high availability from 3; Consumption is billed per action and is in preview.
@description('Scheduler SKU: Dedicated for production (generally available); Consumption (preview, billed per action) for test environments.')
@allowed([
  'Dedicated'
  'Consumption'
])
param skuName string

@description('Capacity units of a Dedicated scheduler (1-3; 3 for high availability). Ignored for Consumption.')
@minValue(1)
@maxValue(3)
param capacityUnits int = 1

// Durable Task Data Contributor: start, query, terminate and purge (the chat trigger and the
// retention timer do all four), and process work items. Durable Task Worker lacks the client
// operations.
var dedicated = skuName == 'Dedicated'
var durableTaskDataContributor = '0ad04412-c4d5-4796-b79c-f76d14c8d402'
// Finished orchestrations hold conversations (chat inputs) and escalation context. 0 days is the
// shortest the service allows: purge as soon as possible after the instance finished. The app
// purges each chat itself once answered; this is the backstop for the rest.
var purgedStates = [
  'Completed'
  'Failed'
  'Terminated'
  'Canceled'
]

resource scheduler 'Microsoft.DurableTask/schedulers@2025-11-01' = {
  name: name
  location: location
  tags: tags
  properties: {
    sku: dedicated ? {
      name: 'Dedicated'
      capacity: capacityUnits
    } : {
      name: 'Consumption'
    }
    // Required and must not be empty (an empty list refuses everyone). Flex Consumption apps
    // without VNet integration have no fixed outbound address, so the network cannot narrow
    // it; every call is authorised by Entra ID and the role below.
    ipAllowlist: [
      '0.0.0.0/0'
    ]
  }
}

resource taskHub 'Microsoft.DurableTask/schedulers/taskHubs@2025-11-01' = {
  parent: scheduler
  name: taskHubName
}

resource retention 'Microsoft.DurableTask/schedulers/retentionPolicies@2025-11-01' = {
  parent: scheduler
  name: 'default'
  properties: {
    retentionPolicies: [for state in purgedStates: {
      orchestrationState: state
      retentionPeriodInDays: 0
    }]
  }
}

resource dataRole 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(scheduler.id, principalId, durableTaskDataContributor)
  scope: scheduler
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', durableTaskDataContributor)
    principalId: principalId
    principalType: 'ServicePrincipal'
  }
}

output name string = scheduler.name
output taskHubName string = taskHub.name
output endpoint string = scheduler.properties.endpoint
