// One region's storage account: the gateway's tables (breakers, health, audit, escalations),
// the Durable task hub (queues, tables and lease blobs the runtime creates itself) and the
// blob container the Flex Consumption plan deploys the app package from.
// Identity only: shared-key access is off, so no connection string with a key exists.

@description('UK region for the account.')
@allowed([
  'uksouth'
  'ukwest'
])
param location string

@description('Storage account name (3-24 lowercase letters and digits).')
@minLength(3)
@maxLength(24)
param name string

@description('Replication. Geo-redundant only, so the audit trail survives losing a region; UK South and UK West are a pair, so the copy stays in the UK.')
@allowed([
  'Standard_GZRS'
  'Standard_GRS'
])
param skuName string = 'Standard_GZRS'

@description('Tables the gateway reads and writes.')
param tableNames array

@description('Blob container the Flex Consumption plan deploys from.')
param deploymentContainerName string

@description('Log Analytics workspace for the storage access logs.')
param workspaceId string

@description('Tags for every resource.')
param tags object

@description('Reachable only through private endpoints (privateNetworking in main.bicep).')
param privateOnly bool = false

resource account 'Microsoft.Storage/storageAccounts@2023-05-01' = {
  name: name
  location: location
  tags: tags
  kind: 'StorageV2'
  sku: {
    name: skuName
  }
  properties: {
    // checkov:skip=CKV_AZURE_206: the SKU is a parameter that @allowed limits to GZRS or GRS; checkov does not resolve parameters
    // checkov:skip=CKV_AZURE_35: the network rule follows privateOnly (on in production); with it off (dev) shared keys are disabled so only Entra identities get in
    // checkov:skip=CKV_AZURE_59: as above: public network access is disabled when privateOnly is set; checkov does not resolve parameters
    accessTier: 'Hot'
    minimumTlsVersion: 'TLS1_2'
    supportsHttpsTrafficOnly: true
    allowBlobPublicAccess: false
    allowSharedKeyAccess: false
    defaultToOAuthAuthentication: true
    allowCrossTenantReplication: false
    publicNetworkAccess: privateOnly ? 'Disabled' : 'Enabled'
    networkAcls: {
      bypass: 'AzureServices'
      defaultAction: privateOnly ? 'Deny' : 'Allow'
    }
    encryption: {
      keySource: 'Microsoft.Storage'
      requireInfrastructureEncryption: true
      services: {
        blob: {
          enabled: true
          keyType: 'Account'
        }
        file: {
          enabled: true
          keyType: 'Account'
        }
        queue: {
          enabled: true
          keyType: 'Account'
        }
        table: {
          enabled: true
          keyType: 'Account'
        }
      }
    }
  }
}

resource blobService 'Microsoft.Storage/storageAccounts/blobServices@2023-05-01' = {
  parent: account
  name: 'default'
  properties: {
    deleteRetentionPolicy: {
      enabled: true
      days: 7
    }
    containerDeleteRetentionPolicy: {
      enabled: true
      days: 7
    }
  }
}

resource deploymentContainer 'Microsoft.Storage/storageAccounts/blobServices/containers@2023-05-01' = {
  parent: blobService
  name: deploymentContainerName
  properties: {
    publicAccess: 'None'
  }
}

resource queueService 'Microsoft.Storage/storageAccounts/queueServices@2023-05-01' = {
  parent: account
  name: 'default'
}

resource tableService 'Microsoft.Storage/storageAccounts/tableServices@2023-05-01' = {
  parent: account
  name: 'default'
}

resource tables 'Microsoft.Storage/storageAccounts/tableServices/tables@2023-05-01' = [for tableName in tableNames: {
  parent: tableService
  name: tableName
}]

// Writes and deletes only: reads happen on every chat request (breaker checks) and would
// dominate the log volume without adding to the audit trail.
resource tableLogs 'Microsoft.Insights/diagnosticSettings@2021-05-01-preview' = {
  name: 'writes-to-log-analytics'
  scope: tableService
  properties: {
    workspaceId: workspaceId
    logs: [
      {
        category: 'StorageWrite'
        enabled: true
      }
      {
        category: 'StorageDelete'
        enabled: true
      }
    ]
  }
}

resource queueLogs 'Microsoft.Insights/diagnosticSettings@2021-05-01-preview' = {
  name: 'writes-to-log-analytics'
  scope: queueService
  properties: {
    workspaceId: workspaceId
    logs: [
      {
        category: 'StorageWrite'
        enabled: true
      }
      {
        category: 'StorageDelete'
        enabled: true
      }
    ]
  }
}

output name string = account.name
output id string = account.id
output blobEndpoint string = account.properties.primaryEndpoints.blob
