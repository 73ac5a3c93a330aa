// Private DNS zones for the private endpoints (privateNetworking): one zone per service, in
// the resource group, linked to each region's virtual network by the network module. Each
// resource has one private endpoint, and the regions' networks are peered, so one record per
// name serves both regions.

@description('Tags for every resource.')
param tags object

// In this order: vault, blob, queue, table, openai (the output names them).
var zoneNames = [
  'privatelink.vaultcore.azure.net'
  'privatelink.blob.${environment().suffixes.storage}'
  'privatelink.queue.${environment().suffixes.storage}'
  'privatelink.table.${environment().suffixes.storage}'
  'privatelink.openai.azure.com'
]

resource zones 'Microsoft.Network/privateDnsZones@2020-06-01' = [for zoneName in zoneNames: {
  name: zoneName
  location: 'global'
  tags: tags
}]

output zoneIds object = {
  vault: zones[0].id
  blob: zones[1].id
  queue: zones[2].id
  table: zones[3].id
  openai: zones[4].id
}
