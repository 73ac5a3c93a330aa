// The Key Vault that holds the provider keys and the other secrets the app reads through
// Key Vault references. RBAC only (no access policies), soft delete and purge protection on.
// UK South and UK West are a region pair, so Microsoft replicates the vault's contents to the
// other UK region and serves it read-only there if UK South is lost.

@description('UK region for the vault.')
@allowed([
  'uksouth'
  'ukwest'
])
param location string

@description('Key Vault name (3-24 characters).')
@minLength(3)
@maxLength(24)
param name string

@description('Days a deleted secret or vault can be recovered.')
@minValue(7)
@maxValue(90)
param softDeleteRetentionDays int

@description('Log Analytics workspace that receives the vault audit log.')
param workspaceId string

@description('Tags for every resource.')
param tags object

@description('Reachable only through private endpoints (privateNetworking in main.bicep).')
param privateOnly bool = false

resource vault 'Microsoft.KeyVault/vaults@2023-07-01' = {
  name: name
  location: location
  tags: tags
  properties: {
    // checkov:skip=CKV_AZURE_109: the network rule follows privateOnly (on in production); with it off (dev) access is Entra RBAC only (see README, private networking)
    // checkov:skip=CKV_AZURE_189: as above: public access is disabled when privateOnly is set; checkov does not resolve parameters
    tenantId: subscription().tenantId
    sku: {
      family: 'A'
      name: 'standard'
    }
    enableRbacAuthorization: true
    enableSoftDelete: true
    softDeleteRetentionInDays: softDeleteRetentionDays
    enablePurgeProtection: true
    publicNetworkAccess: privateOnly ? 'Disabled' : 'Enabled'
    networkAcls: {
      bypass: 'AzureServices'
      defaultAction: privateOnly ? 'Deny' : 'Allow'
    }
  }
}

resource audit 'Microsoft.Insights/diagnosticSettings@2021-05-01-preview' = {
  name: 'audit-to-log-analytics'
  scope: vault
  properties: {
    workspaceId: workspaceId
    logs: [
      {
        categoryGroup: 'audit'
        enabled: true
      }
    ]
  }
}

output name string = vault.name
output id string = vault.id
output uri string = vault.properties.vaultUri
