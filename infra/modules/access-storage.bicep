// Data-plane roles for one app identity on its own region's storage account.
// - Storage Table Data Contributor: the breakers, health, audit and escalations tables, and the
//   Durable instance and history tables.
// - Storage Queue Data Contributor: the Durable control and work-item queues.
// - Storage Blob Data Owner: the Functions host keeps its locks and keys in blobs and Durable
//   keeps partition leases there; the host documents Owner for identity-based AzureWebJobsStorage.
//   It also covers reading the Flex deployment package.
// No management-plane role: the app never needs the account keys (they are disabled anyway).

@description('Storage account the roles apply to.')
param storageAccountName string

@description('Object id of the app system-assigned identity.')
param principalId string

var roleIds = [
  '0a9a7e1f-b9d0-4cc4-a60d-0319b160aaa3'
  '974c5e8b-45b9-4653-ba55-5f855dd0fb88'
  'b7e6dc6d-f1e8-4753-8033-0f276bb0955b'
]

resource account 'Microsoft.Storage/storageAccounts@2023-05-01' existing = {
  name: storageAccountName
}

resource grants 'Microsoft.Authorization/roleAssignments@2022-04-01' = [for roleId in roleIds: {
  name: guid(account.id, principalId, roleId)
  scope: account
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roleId)
    principalId: principalId
    principalType: 'ServicePrincipal'
  }
}]
